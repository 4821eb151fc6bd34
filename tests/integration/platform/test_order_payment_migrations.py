"""The order and payment centers' migrations go down to base and back up on every engine."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command

from tests.integration.platform.platform_support import settings_for
from zhongtai.db import create_engine
from zhongtai.platform.center import load_center
from zhongtai.platform.migrations import alembic_config, upgrade_center


@pytest.mark.parametrize("name", ["order", "payment"])
def test_downgrade_to_base_and_upgrade_again(name, engine_name, make_db, tmp_path):
    url = make_db(engine_name, prefix=f"zt_{name}")
    settings = settings_for({name: url}, tmp_path)
    assert upgrade_center(settings, name).at_head
    center = load_center(name)
    engine = create_engine(url)
    try:
        assert set(sa.inspect(engine).get_table_names()) == {
            *center.metadata.tables,
            "alembic_version",
        }
        with engine.begin() as conn:
            command.downgrade(alembic_config(center, connection=conn), f"{name}@base")
        assert sa.inspect(engine).get_table_names() == ["alembic_version"]
    finally:
        engine.dispose()
    again = upgrade_center(settings, name)
    assert again.before is None and again.at_head
