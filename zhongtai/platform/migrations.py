"""Alembic per center: one version location and one branch label per center, one ``env.py``.

Every center keeps its revisions in ``zhongtai/platform/<center>/migrations/versions`` and its
first revision carries ``branch_labels = ("<center>",)``. The ``Config`` is built in code (no
``alembic.ini``): the shared script location :data:`ENV_DIR`, every center's version location,
and the center plus its connection in ``config.attributes``. Upgrading a center is
``alembic.command.upgrade(cfg, "<center>@head")`` against that center's own database
(``settings.database(<center>)``), which is created first on PostgreSQL/MariaDB.

A new revision for a center: ``new_revision(settings, "order", "add column")`` (autogenerate
against that center's database at head); a new center's first revision:
``new_revision(settings, "order", "initial", first=True)`` against an empty database. Review
the generated file; keep data backfills out of revisions.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from zhongtai.config import Settings, mask_url
from zhongtai.db import check_connection, create_engine, ensure_database
from zhongtai.errors import ConfigError, DatabaseError
from zhongtai.platform.center import Center, available_centers, load_center

ENV_DIR = Path(__file__).parent / "alembic_env"


@dataclass(frozen=True)
class CenterRevision:
    """Where one center's database stands: revision before/after, and its head."""

    center: str
    url: str  # masked
    before: str | None
    revision: str | None
    head: str

    @property
    def at_head(self) -> bool:
        return self.revision == self.head


def _escape(path: Path) -> str:
    return str(path).replace("%", "%%")  # ConfigParser interpolation


def alembic_config(
    center: Center,
    *,
    connection: Connection | None = None,
    url: str | None = None,
    alone: bool = False,
) -> Config:
    """An alembic ``Config`` for ``center`` that needs no ini file.

    Every center's version location is listed (so a database holding several branches still
    resolves); ``alone=True`` lists only this center's, which autogenerating a center's first
    revision needs (alembic compares the empty database with *all* heads it can see).
    """
    cfg = Config()
    cfg.set_main_option("script_location", _escape(ENV_DIR))
    names = [center.name] if alone else available_centers()
    locations = [load_center(name).versions_dir for name in names]
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_path_separator", "os")  # alembic < 1.16 reads this one
    cfg.set_main_option("version_locations", os.pathsep.join(_escape(p) for p in locations))
    cfg.attributes["center"] = center
    cfg.attributes["connection"] = connection
    cfg.attributes["url"] = url
    return cfg


def center_heads(center: Center) -> list[str]:
    """Every head revision on ``center``'s branch (a healthy center has exactly one)."""
    script = ScriptDirectory.from_config(alembic_config(center))
    return sorted(
        head
        for head in script.get_heads()
        if center.name in script.get_revision(head).branch_labels
    )


def _single_head(center: Center) -> str:
    heads = center_heads(center)
    if len(heads) != 1:
        raise ConfigError(
            f"center {center.name!r} has {len(heads)} alembic heads: {', '.join(heads) or 'none'}",
            hint="merge them with a revision whose down_revision lists every head",
        )
    return heads[0]


def _current(connection: Connection, center: Center) -> str | None:
    """The revision of ``center``'s branch recorded in this database, if any."""
    script = ScriptDirectory.from_config(alembic_config(center))
    mine = {r.revision for r in script.walk_revisions() if center.name in r.branch_labels}
    current = [h for h in MigrationContext.configure(connection).get_current_heads() if h in mine]
    return current[0] if current else None


def check_distinct_databases(settings: Settings, names: tuple[str, ...]) -> None:
    """Centers own their databases: refuse two centers configured on one URL."""
    urls = Counter(settings.database(n) for n in names)
    shared = [n for n in names if urls[settings.database(n)] > 1]
    if shared:
        raise ConfigError(
            f"centers {', '.join(shared)} share one database "
            f"({mask_url(settings.database(shared[0]))})",
            hint="give each center its own URL under [databases] or ZHONGTAI_DATABASES_<CENTER>",
        )


def upgrade_center(settings: Settings, name: str) -> CenterRevision:
    """Create the center's database if needed and take it to ``<name>@head``."""
    center = load_center(name)
    head = _single_head(center)
    url = settings.database(name)
    ensure_database(url)
    engine = create_engine(url)
    try:
        check_connection(engine)
        with engine.begin() as conn:
            before = _current(conn, center)
            command.upgrade(alembic_config(center, connection=conn), f"{name}@head")
            after = _current(conn, center)
    except ConfigError:
        raise
    except Exception as exc:
        if isinstance(exc, DatabaseError):
            raise
        raise DatabaseError(
            f"upgrading center {name!r} failed: {exc}",
            url=mask_url(url),
            hint="run with --debug for the traceback; the database was left at its last revision",
        ) from exc
    finally:
        engine.dispose()
    return CenterRevision(name, mask_url(url), before, after, head)


def upgrade_all(settings: Settings) -> list[CenterRevision]:
    """Take every available center's database to head (``zhongtai platform upgrade``)."""
    names = available_centers()
    check_distinct_databases(settings, names)
    return [upgrade_center(settings, name) for name in names]


def new_revision(settings: Settings, name: str, message: str, *, first: bool = False) -> Path:
    """Autogenerate a revision for center ``name`` against its database (at head, or empty
    for ``first=True``, which starts the center's branch)."""
    center = load_center(name)
    if first:
        if center_heads(center):
            raise ConfigError(f"center {name!r} already has revisions", hint="drop first=True")
        options = {"head": "base", "branch_label": name, "rev_id": f"{name}_0001"}
        options["version_path"] = str(center.versions_dir)
    else:
        head = _single_head(center)
        tail = head.rsplit("_", 1)[-1]
        options = {"head": f"{name}@head"}
        if tail.isdigit():
            options["rev_id"] = f"{name}_{int(tail) + 1:04d}"
    engine = create_engine(settings.database(name))
    try:
        with engine.begin() as conn:
            cfg = alembic_config(center, connection=conn, alone=first)
            script = command.revision(cfg, message=message, autogenerate=True, **options)
    finally:
        engine.dispose()
    return Path(script.path)
