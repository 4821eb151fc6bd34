"""The shadow addon hands copies to the shadow process and never waits for it (fake flows)."""

from mitmproxy.test import tutils

from tests.unit.strangler.test_addons import flow, run, runtime
from zhongtai.strangler.router import DECISION
from zhongtai.strangler.shadow import Shadow


class FakeLink:
    """Records what the addon offers; ``room`` messages fit before the queue is full."""

    def __init__(self, room: int = 100) -> None:
        self.room, self.offered = room, []

    def alive(self) -> bool:
        return True

    def offer(self, message) -> bool:
        if len(self.offered) >= self.room:
            return False
        self.offered.append(message)
        return True


def answered(rt, shadow: Shadow, body: dict):
    """One request through guard and router, the shadow's request hook, then legacy's answer
    (no event loop: with a shadow process the hooks only offer messages)."""
    f = run(rt, flow(body))
    shadow.request(f)
    f.response = tutils.tresp(content=b'{"code": 0}')
    shadow.response(f)
    return f


def test_a_written_answer_offers_the_copy_and_the_primary_once_legacy_answered():
    rt = runtime("shadow")  # pos.pull is a POST: its dry-run copy leaves alongside
    link = FakeLink()
    f = answered(rt, Shadow(rt, link), {"store_code": "SH0001"})
    (copy, primary) = link.offered
    assert copy[0] == "alongside" and primary[0] == "primary" and copy[1] == primary[1]
    assert copy[2].name == "pos.pull" and copy[3] == "SH0001"
    assert copy[4].method == "POST" and b"SH0001" in copy[4].copy().body
    reply, _ms = primary[2].reply()  # decoded where the copy is sent, not on the proxy's loop
    assert reply.status == 200 and reply.body == b'{"code": 0}'
    assert f.metadata[DECISION].primary is None  # handed over, nothing left on the flow


def test_a_full_queue_drops_and_counts_instead_of_waiting():
    rt = runtime("shadow")
    link = FakeLink(room=0)
    answered(rt, Shadow(rt, link), {"store_code": "SH0001"})
    assert link.offered == []
    assert rt.book.routes["pos.pull"].dropped == 1
    assert rt.book.routes["pos.pull"].compared == 0  # nothing compared in the proxy either


def test_legacy_stage_offers_nothing():
    rt = runtime("legacy")
    link = FakeLink()
    answered(rt, Shadow(rt, link), {"store_code": "SH0001"})
    assert link.offered == []
