"""The one alembic environment shared by every center.

:mod:`zhongtai.platform.migrations` builds the ``Config`` in code and puts the center (its
metadata) and either an open connection or a URL into ``config.attributes``; this script only
wires them into alembic. It configures no logging (the library never does).
"""

from __future__ import annotations

from alembic import context

from zhongtai.db import create_engine
from zhongtai.platform.columns import UtcDateTime

config = context.config
center = config.attributes["center"]
metadata = center.metadata


def include_name(name, type_, parent_names) -> bool:
    # Autogenerate looks at this center's tables only, even if a database holds others.
    """Autogenerate filter: only this center's tables."""
    if type_ == "table":
        return name in metadata.tables
    return True


def render_item(type_, obj, autogen_context):
    # Generated revisions import the shared column type instead of spelling its module path.
    """Render the shared UtcDateTime type by name, with its import."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        autogen_context.imports.add("from zhongtai.platform.columns import UtcDateTime")
        return "UtcDateTime()"
    return False


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=metadata,
        include_name=include_name,
        render_item=render_item,
        compare_type=True,
        **kwargs,
    )


def run_offline() -> None:
    """Emit SQL for ``--sql`` runs (URL only, no connection)."""
    _configure(url=config.attributes["url"], literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run migrations on the given connection, or on an engine built from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.attributes["url"])
    try:
        with engine.begin() as conn:
            _configure(connection=conn, render_as_batch=conn.dialect.name == "sqlite")
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
