"""Builders for order drafts used by the order center's unit tests.

A plain module, not a conftest: the integration tests import their own ``conftest`` by name,
and a second module of that name would shadow it when both folders run together.
"""

from __future__ import annotations

from datetime import UTC, datetime

from zhongtai.platform.order.lines import Discount, OrderItem
from zhongtai.platform.order.model import Channel, OrderType
from zhongtai.platform.order.placing import OrderDraft
from zhongtai.platform.order.status import MainStatus

T0 = datetime(2025, 12, 1, 4, 0, tzinfo=UTC)


def draft(**overrides) -> OrderDraft:
    """A valid two-line mini-program order: 2×1800 + 1×1200 fen, 500 off, 300 package."""
    values = dict(
        order_no="3251201SH001200001",
        store_id=12,
        channel=Channel.MINI_PROGRAM,
        order_type=OrderType.PICKUP,
        items=[
            OrderItem(1, "宫保鸡丁", 2, 1800, 3600, sku_id=101, sku_code="P0101-L"),
            OrderItem(2, "米饭", 1, 1200, 1200, sku_id=102, sku_code="P0102"),
        ],
        discounts=[Discount("FULL_REDUCTION", 500, merchant_part=300, platform_part=200)],
        amounts={"package_fee": 300},
        status=MainStatus.PENDING_PAYMENT,
        member_id=7,
        customer={"name": "张(先生)", "phone": "+8613800138000"},
    )
    values.update(overrides)
    return OrderDraft(**values)
