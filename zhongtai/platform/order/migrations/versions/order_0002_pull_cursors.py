"""order center: pull_cursors (where a channel's last compensation pull of a store stopped).

Revision ID: order_0002
Revises: order_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from zhongtai.platform.columns import UtcDateTime

revision = "order_0002"
down_revision = "order_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pull_cursors",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("store_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("cursor", sa.String(length=255), nullable=True),
        sa.Column("pulled_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "store_id", name=op.f("pk_pull_cursors")),
    )


def downgrade() -> None:
    op.drop_table("pull_cursors")
