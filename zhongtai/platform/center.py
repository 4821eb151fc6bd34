"""The one object a center hands to the platform, and the registry of centers.

A center package provides ``center.py`` with ``CENTER = Center(...)``. The platform (alembic,
``create_app``, ``zhongtai platform upgrade``, the tests) finds centers by name through
:func:`load_center`; :func:`available_centers` lists the names from
``zhongtai.config.CENTERS`` whose package exists, so adding ``order/center.py`` is all it
takes to add the order center everywhere.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from fastapi import APIRouter
from sqlalchemy.engine import Engine

from zhongtai.config import CENTERS
from zhongtai.errors import ConfigError
from zhongtai.platform.uow import Clock, SqlUnitOfWork


@dataclass(frozen=True)
class Center:
    """What the platform needs to migrate, serve and test one center."""

    name: str  # "store": database name in settings, alembic branch label, URL segment
    title: str  # "门店中心 store center", for humans
    metadata: sa.MetaData  # this center's tables only
    versions_dir: Path  # its alembic version location
    uow: Callable[..., SqlUnitOfWork]  # (engine, *, write, dry_run, clock) -> unit of work
    router: Callable[[], APIRouter]  # builds the FastAPI router (imported lazily)

    def new_uow(
        self, engine: Engine, *, write: bool = True, dry_run: bool = False, clock: Clock
    ) -> SqlUnitOfWork:
        return self.uow(engine, write=write, dry_run=dry_run, clock=clock)


def _module_name(name: str) -> str:
    return f"zhongtai.platform.{name}.center"


def available_centers() -> tuple[str, ...]:
    """Names of the centers that exist in this installation, in ``config.CENTERS`` order."""
    found = []
    for name in CENTERS:
        try:
            if importlib.util.find_spec(_module_name(name)) is not None:
                found.append(name)
        except ModuleNotFoundError:
            continue
    return tuple(found)


def load_center(name: str) -> Center:
    """The :class:`Center` named ``name``; ``ConfigError`` lists the known ones."""
    if name not in available_centers():
        raise ConfigError(
            f"unknown center {name!r}", hint=f"choose one of: {', '.join(available_centers())}"
        )
    return importlib.import_module(_module_name(name)).CENTER
