"""store center: the store phone as written (``phone_text``), shown verbatim on store lists.

Revision ID: store_0002
Revises: store_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "store_0002"
down_revision = "store_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("store", sa.Column("phone_text", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("store", "phone_text")
