"""Plan files: the reference plan shipped with the package, or a team's own TOML file.

A plan in progress is pinned: its text and profile are stored with the plan state when it
starts, so editing the file halfway cannot silently change the steps already walked. The
digest tells a changed file from the pinned one.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from zhongtai.cutover.plan import Plan, parse_plan
from zhongtai.errors import ConfigError

REFERENCE = "reference"


@dataclass(frozen=True)
class PlanSource:
    text: str
    origin: str  # "reference" or the file's path
    profile: str | None = None

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]


def read_source(path: Path | str | None = None, profile: str | None = None) -> PlanSource:
    """The plan text at ``path``, or the reference plan shipped with zhongtai."""
    if path is None or str(path) == REFERENCE:
        text = resources.files("zhongtai.cutover").joinpath("reference_plan.toml").read_text()
        return PlanSource(text, REFERENCE, profile or None)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"plan file {path} does not exist",
            hint="pass --plan FILE, or leave it out for the reference plan",
        ) from None
    return PlanSource(text, str(Path(path).resolve()), profile or None)


def load_plan(source: PlanSource, route_names: Sequence[str]) -> Plan:
    """Parse and check ``source`` against the route table; ConfigError says what is wrong."""
    where = "the reference plan" if source.origin == REFERENCE else f"plan file {source.origin}"
    try:
        doc = tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}") from None
    try:
        return parse_plan(doc, route_names, profile=source.profile)
    except ValueError as exc:
        raise ConfigError(
            f"{where} is invalid: {exc}", hint="fix the plan file; nothing was changed"
        ) from None
