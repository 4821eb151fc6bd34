"""product center: the category name each product came with (``spu.category_name``).

Revision ID: product_0002
Revises: product_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "product_0002"
down_revision = "product_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("spu", sa.Column("category_name", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("spu", "category_name")
