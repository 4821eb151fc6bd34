"""The acknowledged-write log: every write a target acknowledged, one JSON line each.

A traffic run appends to ``<workspace>/traffic/acked.jsonl`` as answers come back: an order
created (with its order number or channel id), a payment confirmed, each status change, each
push accepted. Each line says what the database must show afterwards, so a later check
(``verify_acked``) proves that nothing acknowledged was lost — through a migration, a sync or
a rollback. Lines are flushed as they are written, so a killed run keeps what it logged.

A line::

    {"run": "r…", "seq": 7, "ts": "2025-12-01T02:00:00.123Z", "kind": "pos.ack",
     "order_no": "1251201SH000100042", "channel": 1, "channel_order_id": "3000…",
     "store_code": "SH0001", "status": 2, "expect": {"pos_ticket_no": "T…", "pos_sync_min": 2}}

``status`` is the order status the write leaves (None for a repeat, which changes nothing);
``expect`` holds the other facts to look up: ``out_trade_no`` + ``payment_status``,
``pos_ticket_no``, ``pickup_code``, ``pos_sync_min``, ``refund`` (a t_refund row exists).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from zhongtai.errors import ZhongtaiError

MEITUAN, ELEME = 1, 2


def acked_path(workspace: Path) -> Path:
    return workspace / "traffic" / "acked.jsonl"


@dataclass(frozen=True)
class AckedWrite:
    kind: str
    run: str = ""
    seq: int = 0
    ts: str = ""
    order_no: str | None = None
    channel: int | None = None
    channel_order_id: str | None = None
    store_code: str | None = None
    status: int | None = None
    expect: dict = field(default_factory=dict)

    @property
    def identity(self) -> tuple:
        """How to find the order: by channel id for takeout orders we pushed, else order_no."""
        if self.channel in (MEITUAN, ELEME) and self.channel_order_id:
            return ("channel", self.channel, self.channel_order_id)
        return ("order_no", self.order_no)

    def describe(self) -> str:
        who = self.order_no or f"channel {self.channel} order {self.channel_order_id}"
        return f"{self.kind} #{self.seq} of run {self.run} ({who})"


class AckedLog:
    """Appends AckedWrite lines for one run; use as a context manager."""

    def __init__(self, path: Path, run: str) -> None:
        self.path, self.run = path, run
        self.count = 0
        self._file: IO[str] | None = None

    def __enter__(self) -> AckedLog:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        return self

    def __exit__(self, *exc) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def write(self, kind: str, *, status: int | None, **fields) -> AckedWrite:
        """Log one acknowledged write; ``fields`` are AckedWrite fields (order_no, expect…)."""
        if self._file is None:
            raise RuntimeError("AckedLog.write outside its `with` block")
        self.count += 1
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        record = AckedWrite(
            kind=kind, run=self.run, seq=self.count, ts=now, status=status, **fields
        )
        self._file.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
        # One write per acknowledgement: a crash must not lose what the target acknowledged.
        self._file.flush()
        return record


def iter_acked(path: Path) -> Iterator[AckedWrite]:
    """Read the log line by line; a torn last line (killed writer) is skipped."""
    known = set(AckedWrite.__dataclass_fields__)
    with path.open(encoding="utf-8") as fh:
        lines = fh.readlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines) and not line.endswith("\n"):
                return  # the writer died mid-line; everything before it stands
            raise ZhongtaiError(
                f"{path}:{number} is not a JSON line",
                hint="the acknowledged-write log was edited or corrupted",
            ) from None
        yield AckedWrite(**{k: v for k, v in data.items() if k in known})


def load_acked(path: Path | str, *, run: str | None = None) -> list[AckedWrite]:
    """Every acknowledged write in the log (of one ``run`` if given), in the order written."""
    path = Path(path)
    if not path.is_file():
        raise ZhongtaiError(
            f"no acknowledged-write log at {path}", hint="run `zhongtai traffic` first"
        )
    return [w for w in iter_acked(path) if run is None or w.run == run]


def verify_acked(settings, *, path: Path | None = None, run: str | None = None):
    """Check every acknowledged write against the legacy database (see ``acked_check``)."""
    from zhongtai.workload.acked_check import check_legacy

    log = path or acked_path(settings.workspace)
    return check_legacy(settings.database("legacy"), load_acked(log, run=run), source=str(log))
