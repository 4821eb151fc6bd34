"""mitmproxy's hook dispatch with each hook's handlers looked up once, not per event.

mitmproxy's ``AddonManager.handle_lifecycle`` offers every event to every addon of the chain
(a coroutine, a generator walking nested addons and a ``getattr`` per addon), then does the
same again with an ``update`` event for every flow event. The proxy loads five addons, and of
a request's eight events only ``requestheaders``, ``request``, ``response`` and ``error`` have a
handler (the strangler's) and ``update`` has none. :class:`HookDispatch` replaces the manager's
``handle_lifecycle`` on one manager instance (the public coroutine mitmproxy 11 and 12 call
for every hook): it finds each hook's handlers the first time the hook fires and again only
when the chain changes, calls them under mitmproxy's own ``safecall`` (errors are logged the
same way, ``AddonHalt`` stops the chain), and sends ``update`` only when an addon has one.
Nested addons are read when the table is built: the proxy's addon set is fixed at start-up.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from mitmproxy import exceptions, flow, hooks
from mitmproxy.addonmanager import AddonManager, safecall, traverse


class HookDispatch:
    def __init__(self, manager: AddonManager) -> None:
        self.manager = manager
        self._chain: list = []
        self._handlers: dict[str, list[Callable]] = {}

    def install(self) -> HookDispatch:
        self.manager.handle_lifecycle = self.handle_lifecycle  # this instance only
        return self

    def handlers(self, name: str) -> list[Callable]:
        """The callables an event called ``name`` reaches, in chain order."""
        if self.manager.chain != self._chain:
            self._chain, self._handlers = list(self.manager.chain), {}
        found = self._handlers.get(name)
        if found is None:
            found = []
            for addon in traverse(self._chain):
                func = getattr(addon, name, None)
                if func and callable(func):
                    found.append(func)
            self._handlers[name] = found
        return found

    async def handle_lifecycle(self, event: hooks.Hook) -> None:
        args = event.args()
        await self._trigger(self.handlers(event.name), args)
        if isinstance(args[0], flow.Flow):
            update = self.handlers("update")
            if update:
                await self._trigger(update, [[args[0]]])

    @staticmethod
    async def _trigger(handlers: list[Callable], args: list) -> None:
        for func in handlers:
            try:
                with safecall():
                    res = func(*args)
                    if res is not None and inspect.isawaitable(res):
                        await res
            except exceptions.AddonHalt:
                return
