"""Write one center row back into legacy: the legacy side of reverse sync.

Given a center row (with its owned child rows) and its :class:`ReverseSpec`, :func:`write_back`
finds the legacy twin — by ``legacy_id``, else by the natural key, else there is none and the
row is inserted with an id legacy assigns itself (legacy and platform number rows in their own
ranges; a platform id inserted into legacy would drag SQLite's and MariaDB's autoincrement up
into the platform's range). It updates only the columns that differ, replaces child rows only
when they differ, and appends a status-log row when the legacy status moved, as the legacy
app would. Everything runs in the caller's transaction, which is marked ``reverse``.

Orders carry a version both systems bump on every write and both syncers copy across. When
the legacy twin is already at the center row's version or beyond and differs, legacy took a
write the platform has not seen yet (the two systems wrote the same order in the same
moment, e.g. in the second of a rollback): writing the center row would silently undo it.
The row is left as legacy has it and reported as a ``conflict``; forward sync then carries
legacy's write to the platform, so both end with legacy's state.

Channel pushes the platform took for an order (its ``channel_pushes`` rows) go back into
``t_push_log`` with the order's legacy id (:func:`carry_pushes`): that is what legacy's
idempotency check reads, so a channel re-pushing the order to legacy after a rollback gets
the duplicate answer instead of creating a second order (which forward sync could not apply:
the order center keeps one order per channel order id).

An order born on the platform carries a number of the store's day (``{channel}{yyMMdd}
{store}{serial}``) the platform took from its own counter, in a range of serials legacy never
gives (:data:`~zhongtai.legacy.order_no.PLATFORM_SERIALS`). A platform-born serial in legacy's
own range (numbered before the ranges were split) raises legacy's counter (``t_day_seq``) when
the order is written back (:func:`reserve_serial`), so the legacy app's next order of that
store and day after a rollback does not take the same number.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from zhongtai.legacy import push_log
from zhongtai.legacy.order_no import LEGACY_SERIALS, ORDER_NO
from zhongtai.legacy.schema import t_day_seq, t_order, t_order_status_log, t_push_log
from zhongtai.migrate import changelog, origin
from zhongtai.migrate.agreed import Agreed, image, merge, same
from zhongtai.migrate.mapping import Mapped, Mapping
from zhongtai.migrate.reverse_specs import ReverseSpec
from zhongtai.migrate.times import utc_to_local
from zhongtai.migrate.transforms import channel_code


@dataclass(frozen=True)
class WriteBack:
    """What happened to one row: ``updated``/``unchanged``/``created``/``deleted``/``waiting``
    or ``conflict`` (legacy took a newer write; nothing written, ``detail`` says why)."""

    outcome: str
    legacy_id: int | None = None
    detail: str = ""
    agreed: Agreed | None = None  # a versioned row both systems now hold (see .agreed)


def _order_id(conn: Connection, order_no: str | None) -> int | None:
    if not order_no:
        return None
    return conn.execute(sa.select(t_order.c.id).where(t_order.c.order_no == order_no)).scalar()


def _children(mapping: Mapping) -> dict[str, tuple[sa.Table, str]]:
    return {c.table.name: (c.table, c.column) for c in mapping.children}


def _replace_children(conn, mapping: Mapping, legacy_rows: Mapped, legacy_id: int) -> None:
    for name, (table, column) in _children(mapping).items():
        if name not in legacy_rows:
            continue
        wanted = [{**row, column: legacy_id} for row in legacy_rows[name]]
        columns = sorted({c for row in wanted for c in row})
        current = (
            conn.execute(
                sa.select(*(table.c[c] for c in columns or [column]))
                .where(table.c[column] == legacy_id)
                .order_by(table.c.id)
            )
            .mappings()
            .all()
        )
        unchanged = len(current) == len(wanted) and all(
            all(same(old[c], new.get(c)) for c in columns)
            for old, new in zip(current, wanted, strict=True)
        )
        if unchanged:
            continue
        conn.execute(sa.delete(table).where(table.c[column] == legacy_id))
        if wanted:
            conn.execute(sa.insert(table), wanted)


def _append_log(conn: Connection, wanted: list[dict], legacy_id: int) -> None:
    """Append the status-log rows legacy does not have yet: the log is a chain both sides
    only ever extend, one legacy row per center history row (see
    :mod:`~zhongtai.migrate.mappings.status_log`), so legacy's count says where to go on.
    Rows already there, with legacy's own push type and operator, are left alone."""
    log = t_order_status_log.c
    have = conn.execute(
        sa.select(sa.func.count()).select_from(t_order_status_log).where(log.order_id == legacy_id)
    ).scalar()
    if len(wanted) > have:
        conn.execute(
            sa.insert(t_order_status_log), [{**r, "order_id": legacy_id} for r in wanted[have:]]
        )


def write_back(
    conn: Connection,
    spec: ReverseSpec,
    mapping: Mapping,
    mapped: Mapped,
    main: MappingABC,
    agreed: Agreed | None = None,
) -> WriteBack:
    """Make legacy hold the center row ``main`` (with ``mapped``, its rows by table);
    ``agreed``: the state both systems last agreed on for a versioned row (:mod:`.agreed`)."""
    table = mapping.source
    legacy_rows = dict(mapping.inverse(mapped))
    log = legacy_rows.pop(t_order_status_log.name, [])
    fields = dict(legacy_rows[table.name][0])
    fields.pop("id", None)
    if spec.parent:
        parent = _order_id(conn, main.get(spec.order_no))
        if parent is None:
            return WriteBack("waiting", detail=f"order {main.get(spec.order_no)} not in legacy")
        fields[spec.parent] = parent
    legacy_id = main.get("legacy_id")
    if legacy_id is None:
        legacy_id = conn.execute(
            sa.select(table.c.id).where(table.c[spec.natural_key] == fields[spec.natural_key])
        ).scalar()
    current = None
    if legacy_id is not None:
        current = conn.execute(sa.select(table).where(table.c.id == legacy_id)).mappings().first()
    if current is None:
        values = dict(fields) if legacy_id is None else {**fields, "id": legacy_id}
        new_id = conn.execute(sa.insert(table).values(**values)).inserted_primary_key[0]
        if spec.day_seq:
            reserve_serial(conn, fields.get("store_id"), fields.get(spec.natural_key))
        _replace_children(conn, mapping, legacy_rows, new_id)
        if spec.status_log:
            _append_log(conn, log, new_id)
        return _agreed(WriteBack("created", int(new_id)), spec, fields)
    changed = {k: v for k, v in fields.items() if not same(current[k], v, spec.decoded.get(k))}
    if spec.version:
        settled = _settle(conn, spec, table, current, fields, changed, agreed)
        if settled is not None:
            if settled.outcome == "merged" and spec.status_log:
                # The steps the platform logged that legacy has not (legacy's own, if it
                # logged any, stay; the chain goes on from legacy's count).
                _append_log(conn, log, legacy_id)
            return _agreed(settled, spec, fields)
    if changed:
        conn.execute(sa.update(table).where(table.c.id == legacy_id).values(**changed))
    _replace_children(conn, mapping, legacy_rows, legacy_id)
    if spec.status_log:
        _append_log(conn, log, legacy_id)
    return _agreed(WriteBack("updated" if changed else "unchanged", int(legacy_id)), spec, fields)


def _agreed(result: WriteBack, spec: ReverseSpec, fields: dict) -> WriteBack:
    """``result`` with the state both systems hold after it, for a versioned row that now
    holds the platform's state (written, merged in, or already there)."""
    if not spec.version or result.outcome not in ("created", "updated", "unchanged", "merged"):
        return result
    return replace(result, agreed=Agreed(int(fields[spec.version]), image(fields)))


def _settle(
    conn: Connection,
    spec: ReverseSpec,
    table: sa.Table,
    current: MappingABC,
    fields: dict,
    changed: dict,
    agreed: Agreed | None,
) -> WriteBack | None:
    """A versioned row whose legacy twin may have moved too: what to do instead of writing the
    platform's row, or None to write it (legacy has not moved since the agreed state)."""
    ours, theirs = current[spec.version], fields[spec.version]
    legacy_id = int(current["id"])
    if agreed is None or ours == theirs == agreed.version:
        # Nothing tells who changed what: the version rule.
        if ours < theirs:
            return None
        if not changed:
            return WriteBack("unchanged", legacy_id)
        return WriteBack(
            "conflict",
            legacy_id,
            detail=(
                f"legacy is at version {ours}, the platform at {theirs}: legacy took a write "
                f"the platform has not seen; legacy's stands ({', '.join(sorted(changed))} "
                "differ)"
            ),
        )
    if ours == agreed.version:
        return None
    if not changed:
        return WriteBack("unchanged", legacy_id)
    if theirs == agreed.version:
        # Only legacy moved: forward sync carries it (queued again, in case its change was
        # taken for a concurrent one before this agreed state was recorded).
        changelog.enqueue(conn, table.name, legacy_id, origin.MERGE)
        return WriteBack("kept", legacy_id, detail=f"legacy moved to version {ours}")
    merged = merge(agreed.image, current, fields, spec.decoded, spec.merge_rules)
    values = {**merged.changes, spec.version: max(ours, theirs) + 1}
    stamp = fields.get("update_time")  # the later of the two writes' times
    if stamp is not None and (current["update_time"] is None or stamp > current["update_time"]):
        values["update_time"] = stamp
    conn.execute(sa.update(table).where(table.c.id == legacy_id).values(**values))
    changelog.enqueue(conn, table.name, legacy_id, origin.MERGE)
    taken = ", ".join(sorted(merged.changes)) or "nothing"
    both = ""
    if merged.settled:
        both += f"; both changed {', '.join(merged.settled)}: the later kept"
    if merged.clashes:
        both += f"; both changed {', '.join(merged.clashes)}: legacy's kept"
    return WriteBack(
        "merged",
        legacy_id,
        detail=(
            f"both moved since version {agreed.version} (legacy {ours}, platform {theirs}): "
            f"took the platform's {taken}{both}; now version {values[spec.version]}"
        ),
    )


def reserve_serial(conn: Connection, store_id: int | None, order_no: str | None) -> None:
    """Raise legacy's day counter of ``store_id`` to the serial inside ``order_no`` when it is
    in legacy's own range (a serial of the platform's range, an order number of another form,
    or no store, changes nothing: legacy's counter must never climb into the platform's
    range)."""
    match = ORDER_NO.match(order_no or "")
    if store_id is None or match is None or int(match["serial"]) not in LEGACY_SERIALS:
        return
    serial, biz_date = int(match["serial"]), "20" + match["day"]
    where = sa.and_(t_day_seq.c.store_id == store_id, t_day_seq.c.biz_date == biz_date)
    seq = conn.execute(sa.select(t_day_seq.c.seq).where(where).with_for_update()).scalar()
    if seq is None:
        conn.execute(sa.insert(t_day_seq).values(store_id=store_id, biz_date=biz_date, seq=serial))
    elif seq < serial:
        conn.execute(sa.update(t_day_seq).where(where).values(seq=serial))


def delete_back(
    conn: Connection, spec: ReverseSpec, mapping: Mapping, legacy_id: int | None
) -> WriteBack:
    """The center row is gone: soft-delete or delete its legacy twin, the legacy row with id
    ``legacy_id`` (the gone row's ``legacy_id``, which for a row born on the platform is not
    its center key; the caller finds it). None: legacy never had the row."""
    if legacy_id is None:
        return WriteBack("unchanged")
    table = mapping.source
    if spec.on_delete == "soft" and spec.soft_delete:
        column, value = spec.soft_delete
        done = conn.execute(
            sa.update(table).where(table.c.id == legacy_id).values({column: value})
        ).rowcount
    else:
        done = conn.execute(sa.delete(table).where(table.c.id == legacy_id)).rowcount
    return WriteBack("deleted" if done else "unchanged", legacy_id)


def carry_pushes(conn: Connection, pushes: list[MappingABC], legacy_id: int) -> list[str]:
    """Add to ``t_push_log`` the channel pushes (center ``channel_pushes`` rows) legacy does
    not have yet, pointing at order ``legacy_id``; returns the pushes that do not fit legacy's
    columns (not written: legacy cannot hold them, and cannot be asked for them either)."""
    log = t_push_log.c
    unfit: list[str] = []
    for push in pushes:
        channel, order_ref, push_type = (
            channel_code(push["channel"]), push["channel_order_id"], push["push_type"]
        )  # fmt: skip
        if len(order_ref) > log.channel_order_id.type.length or (
            len(push_type) > log.push_type.type.length
        ):
            unfit.append(f"{push['channel']}/{order_ref}/{push_type}")
            continue
        key = push_log.PushKey(channel, order_ref, push_type)
        if not push_log.seen(conn, key):
            conn.execute(
                sa.insert(t_push_log).values(
                    channel=key.channel,
                    channel_order_id=key.channel_order_id,
                    push_type=key.push_type,
                    order_id=legacy_id,
                    create_time=utc_to_local(push["received_at"]),
                )
            )
    return unfit
