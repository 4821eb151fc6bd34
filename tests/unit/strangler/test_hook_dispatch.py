"""The proxy's hook dispatch behaves like mitmproxy's own, on a real addon manager."""

import asyncio
import logging

from mitmproxy import exceptions, master, options
from mitmproxy.addons import core, errorcheck, next_layer, proxyserver
from mitmproxy.proxy.layers.http import HttpRequestHook, HttpResponseHeadersHook
from mitmproxy.test import tflow

from zhongtai.strangler.dispatch import HookDispatch


class Seen:
    def __init__(self, name: str, log: list, *, fail=False, halt=False, update=False) -> None:
        self.name, self.log, self.fail, self.halt = name, log, fail, halt
        if update:
            self.update = lambda flows: log.append((name, "update", len(flows)))

    async def request(self, f) -> None:  # async handlers are awaited
        await asyncio.sleep(0)
        self.log.append((self.name, "request"))
        if self.fail:
            raise RuntimeError("boom")
        if self.halt:
            raise exceptions.AddonHalt()

    def response(self, f) -> None:
        self.log.append((self.name, "response"))


async def dispatch(*addons):
    m = master.Master(options.Options())  # needs a running loop
    m.addons.add(core.Core(), proxyserver.Proxyserver(), next_layer.NextLayer(), *addons)
    m.addons.add(errorcheck.ErrorCheck())
    HookDispatch(m.addons).install()
    return m


def test_handlers_run_in_chain_order_errors_are_logged_and_a_halt_stops_the_chain(caplog):
    log: list = []
    f = tflow.tflow(resp=True)

    async def scenario():
        m = await dispatch(Seen("a", log, fail=True), Seen("b", log, halt=True), Seen("c", log))
        await m.addons.handle_lifecycle(HttpRequestHook(f))
        await m.addons.handle_lifecycle(HttpResponseHeadersHook(f))  # nobody has it: no-op

    with caplog.at_level(logging.ERROR):
        asyncio.run(scenario())
    assert log == [("a", "request"), ("b", "request")]  # c never saw it: b halted
    assert "Addon error: boom" in caplog.text


def test_update_goes_out_only_when_an_addon_has_it_and_a_changed_chain_is_seen():
    log: list = []
    f = tflow.tflow(resp=True)

    async def scenario():
        m = await dispatch(Seen("a", log))
        await m.addons.handle_lifecycle(HttpRequestHook(f))
        m.addons.add(Seen("u", log, update=True))
        await m.addons.handle_lifecycle(HttpRequestHook(f))

    asyncio.run(scenario())
    assert log == [("a", "request"), ("a", "request"), ("u", "request"), ("u", "update", 1)]
