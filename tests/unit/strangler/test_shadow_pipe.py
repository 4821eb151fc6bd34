"""The proxy's end of the shadow socket, against a real socket pair (the other end read here)."""

import asyncio
import contextlib
import pickle
import socket

from tests.unit.strangler.test_addons import runtime
from zhongtai.strangler.runtime import Copy
from zhongtai.strangler.shadow_worker import HEADER, ShadowPipe


def frames(sock: socket.socket) -> list[tuple]:
    """Every whole frame the other end has received so far."""
    sock.setblocking(False)
    data = b""
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    out = []
    while data:
        size = int.from_bytes(data[:HEADER], "big")
        out.append(pickle.loads(data[HEADER : HEADER + size]))
        data = data[HEADER + size :]
    return out


def after(route, n: int = 0) -> tuple:
    req = Copy("GET", f"/api/x?{n}", {"host": "x"}, b"", "")
    return ("after", route, "SH0001", False, req, None)


def test_a_route_is_sent_once_then_named_and_copies_are_bounded_by_answers():
    route = runtime("shadow").table.routes[0]

    async def scenario():
        mine, theirs = socket.socketpair()
        pipe = ShadowPipe(mine, capacity=2)
        assert pipe.offer(after(route, 1)) and pipe.offer(after(route, 2))
        assert not pipe.offer(after(route, 3))  # two outstanding: dropped, not queued
        assert pipe.offer(("primary", 7, None))  # a primary is never held back
        got = frames(theirs)
        theirs.send(b"\x01")  # the shadow process finished one copy
        await asyncio.sleep(0.01)
        assert pipe.outstanding == 2  # answers are read only at the bound, not as they come
        assert pipe.offer(after(route, 4)) and pipe.outstanding == 2
        got += frames(theirs)
        theirs.close()
        assert not pipe.offer(after(route, 5))  # at the bound, reading finds the end
        assert pipe.broken and not pipe.offer(("primary", 8, None))  # the process is gone
        mine.close()
        return got

    got = asyncio.run(scenario())
    assert [m[0] for m in got] == ["route", "after", "after", "primary", "after"]
    assert got[0][1] == route and all(m[1] == route.name for m in got if m[0] == "after")
    assert [m[4].path for m in got if m[0] == "after"] == ["/api/x?1", "/api/x?2", "/api/x?4"]


def test_what_the_socket_cannot_take_now_is_written_once_it_drains():
    route = runtime("shadow").table.routes[0]
    big = Copy("POST", "/api/x", {}, b"x" * 600_000, "application/octet-stream")

    async def scenario():
        mine, theirs = socket.socketpair()
        mine.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
        pipe = ShadowPipe(mine, capacity=8)
        assert pipe.offer(("after", route, None, False, big, None))  # never blocks the loop
        assert pipe._rest  # the kernel took part of it
        received = b""
        theirs.setblocking(False)
        while len(received) < 600_000 or pipe._rest:
            await asyncio.sleep(0.001)  # the loop writes the rest as the socket drains
            with contextlib.suppress(BlockingIOError):
                received += theirs.recv(1 << 20)
        pipe.finish(1.0)  # closes the writing side: the reader sees the end
        theirs.setblocking(True)
        while chunk := theirs.recv(1 << 20):
            received += chunk
        mine.close()
        theirs.close()
        return received

    data = asyncio.run(scenario())
    messages = []
    while data:
        size = int.from_bytes(data[:HEADER], "big")
        messages.append(pickle.loads(data[HEADER : HEADER + size]))
        data = data[HEADER + size :]
    assert [m[0] for m in messages] == ["route", "after"] and messages[1][4].body == big.body


def test_a_send_to_a_gone_shadow_process_breaks_the_pipe():
    route = runtime("shadow").table.routes[0]

    async def scenario():
        mine, theirs = socket.socketpair()
        pipe = ShadowPipe(mine, capacity=8)
        assert pipe.offer(after(route, 1))
        theirs.close()  # below the bound no answer is read: the next send finds it out
        assert not pipe.offer(after(route, 2)) and pipe.broken
        mine.close()

    asyncio.run(scenario())
