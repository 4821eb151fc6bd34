"""The demo's story, phase by phase (``zhongtai demo`` and the end-to-end tests).

Each phase prints what it does. Every process and thread goes on the caller's ExitStack the
moment it starts, so an error or Ctrl-C anywhere stops them all.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, nullcontext
from datetime import UTC, datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zhongtai.config import Settings
from zhongtai.cutover import operations
from zhongtai.cutover.background import LiveTraffic, SyncWorker
from zhongtai.cutover.gates import blocking
from zhongtai.cutover.views import move_lines, tick_line
from zhongtai.cutover.watch import tick
from zhongtai.errors import ZhongtaiError

WHO = "zhongtai demo (plan watch)"
FAULT_DEADLINE = 90.0  # seconds the watch gets to notice the killed platform


def _reason(v) -> str:
    return f"{v.subject}: {v.message}" + (f" ({v.by})" if v.by else "")


class StoryError(ZhongtaiError):
    """The story stopped: a step did not pass in time, or a process died."""


class Story:
    def __init__(self, settings: Settings, console: Console, options, stack: ExitStack, env):
        from zhongtai.demo import StoryResult

        self.settings, self.console, self.options, self.stack, self.env = (
            settings, console, options, stack, env,
        )  # fmt: skip
        self.logs = settings.workspace / "logs"
        self.result = StoryResult()
        self.services: dict = {}
        self.workers: list[SyncWorker] = []
        self.fault_windows: list[tuple[float, float]] = []
        self.traffic: LiveTraffic | None = None
        self.recovered_at: datetime | None = None

    # -- phases ---------------------------------------------------------------------------------

    def run(self):
        self.seed()
        self.serve()
        self.migrate()
        self.walk()
        self.finish()
        return self.result

    def seed(self) -> None:
        from zhongtai.render import seed_table
        from zhongtai.workload.seed import seed_legacy

        o = self.options
        self.console.rule("1 · the legacy O2O monolith gets its history")
        report = seed_legacy(
            self.settings.database("legacy"), stores=o.stores, members=max(200, o.orders // 10),
            orders=o.orders, seed=42, reset=True, progress=True,
        )  # fmt: skip
        self.console.print(seed_table(report))

    def serve(self) -> None:
        from zhongtai.demo import service_process

        self.console.rule("2 · serve legacy, the channels' open API, the platform and the proxy")
        names = ("channel", "legacy", "platform", "proxy")
        for name in names:  # each is stopped on the way out, whether it came up or not
            self.services[name] = service_process(name, self.settings, self.env)
            self.stack.callback(lambda n=name: self.services[n].stop())
        # They start side by side: most of a start is the interpreter importing its modules.
        with ThreadPoolExecutor(len(names), thread_name_prefix="demo-start") as pool:
            started = {n: pool.submit(self.services[n].start, 120) for n in names}
        for name in names:
            started[name].result()  # the first that did not come up says why
            self.console.print(f"  {name:<9} {self.services[name].url}")
        proxy = self.services["proxy"].url
        self.console.print(f"live traffic: {self.options.rps:g} req/s through the proxy {proxy}")
        self.traffic = LiveTraffic(self.env, self.logs, proxy, rps=self.options.rps).start()
        self.stack.callback(self.traffic.stop)

    def migrate(self) -> None:
        from zhongtai.migrate.backfill import backfill
        from zhongtai.migrate.capture import install_capture
        from zhongtai.migrate.views import backfill_table
        from zhongtai.strangler.storekeys_ops import refresh_store_keys
        from zhongtai.strangler.views import store_keys_refresh_line

        self.console.rule("3 · change capture on legacy, backfill into the centers, forward sync")
        for result in install_capture(self.settings):
            self.console.print(
                f"  capture on {result.database}: {len(result.tables)} tables, "
                f"{len(result.created)} triggers created"
            )
        self.console.print(backfill_table(backfill(self.settings, console=self.console)))
        self.start_worker(reverse=False)
        # Every store identifier → its store code, so a store is on one side on every route.
        refreshed = refresh_store_keys(self.settings, who=WHO)
        self.console.print(f"  store key directory: {escape(store_keys_refresh_line(refreshed))}")

    def start_worker(self, *, reverse: bool) -> None:
        poll = None if reverse else self.options.forward_poll
        worker = SyncWorker(self.env, self.logs, reverse=reverse, poll=poll).start()
        self.workers.append(worker)
        self.stack.callback(worker.stop)
        self.console.print(f"  started {worker.name} (log {worker.log_path})")

    # -- the plan -------------------------------------------------------------------------------

    def walk(self) -> None:
        o = self.options
        self.console.rule("4 · walk the reference cutover plan with the watch")
        result, plan = operations.advance(
            self.settings,
            why="start the cutover",
            plan_file=o.plan_file,
            profile=o.profile,
            who=WHO,
        )
        self._print_move(result, plan)
        fault_index = plan.index_of(o.fault_step) if o.fault else None
        fault_at: float | None = None
        step, since = result.to_step, time.monotonic()
        last_key, printed = (), 0.0
        while True:
            died = [w.failure() for w in self.workers if w.failure() is not None]
            if died:  # nothing can pass any more: end the walk, still check and report
                self._hold(step, plan, [f"{why} (log {self.logs})" for why in died])
                return
            judged = time.monotonic()
            with self._busy(f"step {step}: judging its gates"):
                t = tick(self.settings, who=WHO, promote=fault_at is None)
            took = time.monotonic() - judged
            if took >= 5 and plan.step(step) and plan.step(step).gates.data_parity:
                self.console.print(
                    f"  [dim]step {step}: data parity of "
                    f"{', '.join(plan.step(step).gates.data_parity)} compared row by row "
                    f"in {took:.0f}s[/]"
                )
            if t.result is not None and t.result.moved:
                self._print_move(t.result, plan)
                step, since = t.result.to_step, time.monotonic()
                reverse_on = any(c.get("sync") == "reverse" for c in t.result.changes)
                if reverse_on and not any(w.reverse for w in self.workers):
                    self.start_worker(reverse=True)
                if t.action == "complete":
                    self.result.plan_complete = True
                    return
                if fault_at is not None and t.action == "rollback":
                    self._recover(fault_at)
                    fault_at = None
                elif step == fault_index and self.result.fault_rolled_back is None:
                    fault_at = self._induce_fault()
                continue
            failing = blocking(t.verdicts)
            key = (t.action, failing[0].gate, failing[0].subject) if failing else (t.action,)
            if key != last_key or time.monotonic() - printed >= 5:
                self.console.print(f"  [dim]{escape(tick_line(t))}[/]")
                last_key, printed = key, time.monotonic()
            if fault_at is not None and time.monotonic() - fault_at > FAULT_DEADLINE:
                self.result.fault_rolled_back = False
                raise StoryError(f"the watch did not roll back within {FAULT_DEADLINE:.0f}s")
            if fault_at is None and time.monotonic() - since > o.step_timeout:
                self._hold(step, plan, [_reason(v) for v in blocking(t.verdicts)])
                return
            time.sleep(1.0)

    def _busy(self, what: str):
        """A spinner on a terminal while a tick runs (data parity can take a while)."""
        return self.console.status(what) if self.console.is_terminal else nullcontext()

    def _hold(self, step: int, plan, reasons: list[str]) -> None:
        """A step that does not pass in time (or a sync worker that died) ends the walk: the
        plan goes back to the start (every route on legacy, which reverse sync kept correct)
        and the rest of the story (checks, report) still runs, so the report shows why."""
        o = self.options
        self.result.held = [f"step {step} {plan.step(step).id}: {r}" for r in reasons]
        self.console.print(
            f"[bold red]step {step} did not pass its gates within {o.step_timeout:.0f}s; "
            "the plan goes back to the start[/]"
            if not any(" exited with " in r for r in reasons)
            else f"[bold red]a sync worker died at step {step}; the plan goes back to the start[/]"
        )
        for reason in reasons:
            self.console.print(f"  [red]✗ {escape(reason)}[/]")
        result, plan = operations.rollback(
            self.settings, why=f"demo: step {step} held: " + "; ".join(reasons), to=0, who=WHO
        )
        self._print_move(result, plan)

    def _print_move(self, result, plan) -> None:
        style = "bold red" if result.action == "rollback" else "bold green"
        lines = move_lines(result, plan)
        self.console.print(f"[{style}]{escape(lines[0])}[/]")
        for line in lines[1:]:
            self.console.print(escape(line))

    def _induce_fault(self) -> float:
        platform = self.services["platform"]
        self.console.print(
            "[bold red]💥 induced fault: the platform process is killed (SIGKILL) "
            "during the canary[/]"
        )
        if platform.proc is not None and platform.proc.poll() is None:
            os.killpg(platform.proc.pid, signal.SIGKILL)
        platform.stop()
        return time.monotonic()

    def _recover(self, fault_at: float) -> None:
        from zhongtai.demo import start_service

        self.result.fault_rolled_back = True
        self.console.print(
            f"[green]the watch rolled the canary back by itself "
            f"{time.monotonic() - fault_at:.1f}s after the fault; restarting the platform[/]"
        )
        self.services["platform"] = start_service("platform", self.settings, self.env)
        # Requests that were in flight when the platform died fail until their timeout and
        # reach the figures up to a flush later: let them land before the analysis restarts.
        time.sleep(self.settings.proxy.upstream_timeout_ms / 1000 + 2)
        self.fault_windows.append((fault_at, time.monotonic()))
        result, plan = operations.retry(
            self.settings, why="platform restarted after the induced crash", who=WHO
        )
        self.recovered_at = datetime.now(UTC).replace(tzinfo=None)
        self._print_move(result, plan)

    # -- the end --------------------------------------------------------------------------------

    def finish(self) -> None:
        from zhongtai.compare.render_terminal import report_view
        from zhongtai.compare.report import build_report, write_report
        from zhongtai.cutover.acked_platform import check_both
        from zhongtai.workload.acked import acked_path, load_acked

        self.console.rule("5 · stop traffic, let sync catch up, prove parity")
        self.traffic.stop()
        self.result.traffic = self.traffic.totals(outside=self.fault_windows)
        self._settle()
        for worker in self.workers:
            worker.stop()
        log = acked_path(self.settings.workspace)
        self.result.acked = dict(check_both(self.settings, load_acked(log), source=str(log)))
        self.console.print(self._acked_table())
        out = self.options.report_dir or self.settings.workspace / "report"
        # Traffic parity from when the platform came back: the fault's errors are in the plan
        # history (the automatic rollback and its figures), not a verdict on the platform.
        report = build_report(self.settings, since=self.recovered_at)
        self.result.report_paths = write_report(report, out)
        self.result.report_ok = report.ok
        self.result.data_ok = report.data is not None and report.data.ok
        self.console.print(report_view(report))

    def _settle(self, timeout: float = 60.0, looks: int = 3) -> None:
        """Wait until both sync directions have nothing left, ``looks`` times in a row a poll
        apart: what reverse sync writes into legacy last is captured there and read by forward
        sync once more, so one quiet look at both lags can come between the two."""
        from zhongtai.cutover.observe import sync_lags

        pause = max(0.5, self.options.forward_poll or 0.0)
        deadline, quiet = time.monotonic() + timeout, 0
        while time.monotonic() < deadline and quiet < looks:
            if any(w.failure() is not None for w in self.workers):
                return  # a dead worker's lag only grows; the checks show what it left
            lags = sync_lags(self.settings)
            quiet = quiet + 1 if all(v is None or v <= 0 for v in lags.values()) else 0
            time.sleep(pause)

    def _acked_table(self) -> Table:
        table = Table(title="acknowledged writes, looked up in both systems", title_justify="left")
        for col in ("system", "writes", "orders", "missing or wrong", "first problem"):
            table.add_column(col)
        for side, check in self.result.acked.items():
            first = check.missing[0] if check.missing else ""
            table.add_row(
                side, str(check.writes), str(check.orders), str(len(check.missing)), first
            )
        return table

    def summarise(self, result) -> None:
        c = self.console
        c.rule("done")
        t = result.traffic
        mark = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[dim]–[/]"}
        c.print(f"{mark[result.plan_complete]} plan walked to the end: every route on the platform")
        for reason in result.held:
            c.print(f"    [red]held at {escape(reason)}[/]")
        c.print(f"{mark[result.fault_rolled_back]} induced platform fault rolled back by the watch")
        c.print(f"{mark[result.data_ok]} data parity on every mapping")
        acked = bool(result.acked) and all(x.ok for x in result.acked.values())
        c.print(f"{mark[acked]} every acknowledged write present in legacy and on the platform")
        if t:
            c.print(
                f"  traffic: {t['requests']:,} requests in {t['runs']} runs, {t['acked']:,} "
                f"acknowledged writes, {t['errors']} errors outside the fault window, "
                f"{t['expected_errors']} during it"
            )
        for kind, path in result.report_paths.items():
            c.print(f"  report {kind:>8}: {path}")
        where = self.settings.workspace
        c.print(f"  {result.seconds:.0f}s · every process stopped")
        c.print(f"  plan history: [bold]zhongtai --workspace {where} plan history[/]")
