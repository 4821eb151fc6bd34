"""The id map: which platform columns hold ids legacy knows under other ids (pure parts)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from zhongtai.compare.idmap import Rekey, references
from zhongtai.platform.order import tables as ot
from zhongtai.platform.payment import tables as pt


def test_foreign_keys_and_declared_plain_columns_are_references():
    assert references(ot.orders) == {"id": ot.orders}
    assert references(ot.order_items) == {"order_id": ot.orders}
    assert references(pt.refunds) == {"id": pt.refunds, "payment_id": pt.payments}
    # No foreign key in the database: the column says which table it refers to.
    assert references(ot.channel_pushes) == {"order_id": ot.orders}
    assert references(ot.day_sequences) == {}


def test_a_plain_order_id_of_a_moved_order_reads_as_its_legacy_id():
    rekey = Rekey(ot.channel_pushes, None, {"orders": {10**12: 470}})
    assert rekey.active
    row = {"channel": "MEITUAN", "channel_order_id": "x", "push_type": "new", "order_id": 10**12}
    assert rekey.row(row)["order_id"] == 470
    untouched = dict(row, order_id=12)
    assert rekey.row(untouched) is untouched


def test_a_reference_to_a_table_outside_the_metadata_is_named():
    metadata = sa.MetaData()
    table = sa.Table("t", metadata, sa.Column("x_id", sa.Integer, info={"refers_to": "elsewhere"}))
    with pytest.raises(ValueError, match="t.x_id refers to table 'elsewhere'"):
        references(table)
