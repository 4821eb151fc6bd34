"""Architecture rules, checked on the source: models are pure, centers are independent."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from zhongtai.config import CENTERS
from zhongtai.platform.center import available_centers

PLATFORM = Path(__file__).resolve().parents[3] / "zhongtai" / "platform"


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("name", available_centers())
def test_a_center_imports_no_other_center_and_not_legacy(name):
    others = [f"zhongtai.platform.{c}" for c in (*CENTERS, "gateway") if c != name]
    for path in (PLATFORM / name).rglob("*.py"):
        for module in imports(path):
            bad = module.startswith("zhongtai.legacy") or any(
                module == o or module.startswith(o + ".") for o in others
            )
            assert not bad, f"{path.relative_to(PLATFORM)} imports {module}"


@pytest.mark.parametrize("name", available_centers())
def test_models_are_pure(name):
    for module in imports(PLATFORM / name / "model.py"):
        assert not module.startswith(("sqlalchemy", "fastapi", "starlette", "pydantic")), (
            f"{name}/model.py imports {module}"
        )


def test_the_shared_pure_helpers_stay_pure():
    for helper in ("errors.py", "phone.py"):
        for module in imports(PLATFORM / helper):
            assert not module.startswith(("sqlalchemy", "fastapi", "starlette")), helper
