"""Progress bars for row-copying work: rows done of total, rows/s and ETA (rich).

Without a console every call is a no-op, so the library stays quiet when used from code.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RowsPerSecond(ProgressColumn):
    """The task's current speed in rows/s."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("– rows/s" if speed is None else f"{speed:,.0f} rows/s", style="cyan")


class RowProgress:
    """One bar per named task; a context manager around ``rich.progress.Progress``."""

    def __init__(self, console: Console | None) -> None:
        self._progress = (
            Progress(
                TextColumn("[bold]{task.description:<22}"),
                BarColumn(),
                MofNCompleteColumn(),
                RowsPerSecond(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
                transient=False,
            )
            if console is not None
            else None
        )
        self._tasks: dict[str, int] = {}

    def __enter__(self) -> RowProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()

    def add(self, name: str, total: int, completed: int = 0) -> int:
        if self._progress is None:
            return -1
        task = self._progress.add_task(name, total=max(total, completed), completed=completed)
        self._tasks[name] = task
        return task

    def advance(self, name: str, rows: int) -> None:
        if self._progress is not None and name in self._tasks:
            task = self._tasks[name]
            current = self._task(task)
            if current.total is not None and current.completed + rows > current.total:
                # Rows inserted after planning: grow the total rather than overflow the bar.
                self._progress.update(task, total=current.completed + rows)
            self._progress.advance(task, rows)

    def _task(self, task_id: int) -> Task:
        return next(t for t in self._progress.tasks if t.id == task_id)

    def reporter(self, name: str) -> Callable[[int], None]:
        return lambda rows: self.advance(name, rows)

    def finish(self, task: int) -> None:
        if self._progress is not None and task >= 0:
            done = self._task(task).completed
            self._progress.update(task, total=done, completed=done)
