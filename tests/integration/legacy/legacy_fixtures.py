"""Helpers for the legacy integration tests: a uvicorn server in a thread, the minimal master
data inserted with Core, channel payload builders and table snapshots."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn

from zhongtai.legacy.schema import (
    t_brand,
    t_member,
    t_product,
    t_product_sku,
    t_store,
    t_store_product,
)
from zhongtai.serving import free_port

MT_TOKEN = "mt-secret-token-7f3a"
ELE_TOKEN = "ele-secret-token-91cc"
_ids = itertools.count(1)


class ThreadedServer:
    """Serve an ASGI app with uvicorn on a free loopback port in a background thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@dataclass
class Legacy:
    """A running legacy app with its database and the ids of the fixture rows."""

    url: str
    engine: sa.Engine
    http: httpx.Client
    ids: dict[str, int]


def insert_master_data(engine: sa.Engine) -> dict[str, int]:
    """A brand, two open stores and a deleted one, products with overrides, a member."""
    ids: dict[str, int] = {}
    with engine.begin() as conn:

        def add(table: sa.Table, **values: Any) -> int:
            return conn.execute(table.insert().values(**values)).inserted_primary_key[0]

        ids["brand"] = add(t_brand, brand_code="B01", brand_name="老味道", status=1)
        for key, code, mt, ele, city in (
            ("store_a", "SH0101", "mt-poi-a", "ele-shop-a", "上海"),
            ("store_b", "SH0102", "mt-poi-b", "ele-shop-b", "上海"),
            ("store_bj", "BJ0101", "mt-poi-bj", "ele-shop-bj", "北京"),
        ):
            ids[key] = add(
                t_store,
                brand_id=ids["brand"],
                store_code=code,
                store_name=f"老味道{code}店",
                city_name=city,
                address="人民路1号",
                phone="021-12345678",
                lng=121.47,
                lat=31.23,
                business_hours="10:00-14:00,17:00-22:00",
                status=1,
                mt_app_poi_code=mt,
                ele_shop_id=ele,
                ele_open_id=f"open-{code}",
                mt_token=MT_TOKEN,
                ele_token=ELE_TOKEN,
                create_time="2024-01-01 10:00:00",
            )
        ids["store_deleted"] = add(
            t_store,
            brand_id=ids["brand"],
            store_code="SH0199",
            store_name="已关店",
            city_name="上海",
            status=1,
            is_deleted=1,
            mt_app_poi_code="mt-poi-gone",
        )
        for key, erp, name, cat, cat_name, status in (
            ("chicken", "P0001", "宫保鸡丁", 1, "热菜", 1),
            ("drink", "P0002", "酸梅汤", 2, "饮品", 1),
            ("cake", "P0003", "限量蛋糕", 2, "饮品", 1),
            ("retired", "P0004", "下架菜", 1, "热菜", 0),
        ):
            ids[key] = add(
                t_product,
                brand_id=ids["brand"],
                erp_code=erp,
                name=name,
                category_id=cat,
                category_name=cat_name,
                price=10,
                status=status,
            )
        for key, product, code, spec, price, mt, ele, box in (
            ("sku_chicken_l", "chicken", "P0001-L", "大份", 32.0, "mt-food-1", "ele-item-1", 1),
            ("sku_chicken_s", "chicken", "P0001-S", "小份", 22.5, "mt-food-2", "ele-item-2", 1),
            ("sku_drink", "drink", "P0002-R", "常规", 8.0, "mt-food-3", "ele-item-3", 0),
            ("sku_cake", "cake", "P0003-R", "常规", 18.0, "mt-food-4", "ele-item-4", 0),
            ("sku_retired", "retired", "P0004-R", "常规", 9.0, None, None, 0),
        ):
            ids[key] = add(
                t_product_sku,
                product_id=ids[product],
                sku_code=code,
                spec_name=spec,
                price=price,
                box_num=box,
                box_price=1.0 if box else 0.0,
                mt_app_food_code=mt,
                ele_item_id=ele,
            )
        add(t_store_product, store_id=ids["store_a"], sku_id=ids["sku_drink"], price=7.5)
        add(t_store_product, store_id=ids["store_a"], sku_id=ids["sku_cake"], sold_out=1)
        ids["member"] = add(
            t_member,
            openid="o-test-1",
            mobile="+86 138-0013-8000",
            nickname="小王",
            source_channel=3,
        )
        ids["member_deleted"] = add(t_member, openid="o-gone", mobile="13900000000", is_deleted=1)
    return ids


def platform_order_id() -> str:
    """A fresh platform order id above 2^53, as Meituan and Eleme issue them."""
    return str(9_100_000_000_000_000_000 + next(_ids) * 7919)


def meituan_new(order_id: str, poi: str = "mt-poi-a", **extra: Any) -> dict[str, str]:
    detail = [
        {
            "app_food_code": "mt-food-1",
            "food_name": "宫保鸡丁",
            "sku_id": "9001",
            "quantity": 2,
            "price": 30.0,
            "box_num": 2,
            "box_price": 1.0,
            "unit": "份",
            "food_discount": 1,
            "spec": "大份",
            "food_property": "微辣",
            "cart_id": 0,
        },
        {
            "app_food_code": "mt-unknown",
            "food_name": "神秘菜",
            "sku_id": "9002",
            "quantity": 1,
            "price": 5.55,
            "box_num": 0,
            "box_price": 0,
            "spec": "",
            "cart_id": 0,
        },
    ]
    extras = [
        {
            "act_detail_id": 1,
            "reduce_fee": 5.0,
            "mt_charge": 2.0,
            "poi_charge": 3.0,
            "remark": "满30减5",
            "type": 2,
        }
    ]
    fields = {
        "order_id": order_id,
        "wm_order_id_view": order_id,
        "app_poi_code": poi,
        "wm_poi_name": "老味道",
        "recipient_name": "张(先生)",
        "recipient_phone": "18449039731_7333",
        "recipient_address": "人民路2号",
        "latitude": 31.23,
        "longitude": 121.47,
        "shipping_fee": 4.0,
        "total": 66.55,
        "original_price": 71.55,
        "caution": "少放辣",
        "ctime": 1764561600,  # 2025-12-01 12:00:00 +08:00
        "delivery_time": 0,
        "day_seq": 17,
        "pay_type": 2,
        "status": 2,
        "detail": json.dumps(detail, ensure_ascii=False),
        "extras": json.dumps(extras, ensure_ascii=False),
        "poi_receive_detail": json.dumps(
            {"wmPoiReceiveCent": 6012, "foodShareFeeChargeByPoi": 480}
        ),
        "app_id": "4786",
        "timestamp": 1764561600,
        "sig": "not-checked",
    }
    fields.update(extra)
    return {k: str(v) for k, v in fields.items()}


def eleme_message(order_id: str, shop: str = "ele-shop-a") -> dict[str, Any]:
    return {
        "id": order_id,
        "orderId": order_id,
        "shopId": shop,
        "createdAt": "2025-12-01T12:30:00",
        "activeAt": "2025-12-01T12:30:05",
        "deliverFee": 5.0,
        "deliverTime": None,
        "description": "不要香菜",
        "groups": [
            {
                "name": "1号篮子",
                "type": "normal",
                "items": [
                    {
                        "id": "ele-item-3",
                        "skuId": "77",
                        "name": "酸梅汤",
                        "price": 8.0,
                        "quantity": 3,
                        "total": 24.0,
                        "newSpecs": [{"name": "规格", "value": "常规"}],
                        "attributes": [{"name": "温度", "value": "少冰"}],
                    },
                ],
            }
        ],
        "book": False,
        "onlinePaid": True,
        "phoneList": ["13800138000", "13800138001"],
        "consignee": "李女士",
        "deliveryGeo": "121.47,31.23",
        "deliveryPoiAddress": "南京路3号",
        "originalPrice": 29.0,
        "totalPrice": 26.0,
        "packageFee": 0.0,
        "activityTotal": -3.0,
        "shopPart": -1.0,
        "elemePart": -2.0,
        "income": 22.15,
        "serviceFee": -1.85,
        "hongbao": 0.0,
        "daySn": 8,
        "userId": "ele-user-1",
        "orderActivities": [
            {"name": "满减", "amount": -3.0, "restaurantPart": -1.0, "elemePart": -2.0}
        ],
    }


def eleme_body(kind: int, message: dict[str, Any], shop: str = "ele-shop-a") -> dict[str, Any]:
    return {
        "requestId": f"req-{next(_ids)}",
        "type": kind,
        "appId": 10086,
        "message": json.dumps(message, ensure_ascii=False),
        "shopId": shop,
        "timestamp": 1764563400000,
        "signature": "NOT-CHECKED",
        "userId": "ele-user-1",
    }


def eleme_status(kind: int, order_id: str, **extra: Any) -> dict[str, Any]:
    return {"orderId": order_id, "state": "valid", "updateTime": 1764563500, **extra}


SNAPSHOT_TABLES = (
    "t_order",
    "t_order_item",
    "t_order_activity",
    "t_order_status_log",
    "t_payment",
    "t_refund",
    "t_push_log",
    "t_day_seq",
    "t_product",
    "t_product_sku",
    "t_erp_sync_log",
    "t_pull_cursor",
)


def snapshot(engine: sa.Engine, tables: tuple[str, ...] = SNAPSHOT_TABLES) -> dict[str, list]:
    """Every row of ``tables``, sorted, for before/after "nothing changed" assertions."""
    meta = sa.MetaData()
    meta.reflect(engine, only=list(tables))
    with engine.connect() as conn:
        return {
            name: sorted(
                tuple(map(repr, row)) for row in conn.execute(sa.select(meta.tables[name]))
            )
            for name in tables
        }


def order_row(engine: sa.Engine, **where: Any) -> dict[str, Any] | None:
    from zhongtai.legacy.schema import t_order

    stmt = sa.select(t_order).where(*(t_order.c[k] == v for k, v in where.items()))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(stmt.order_by(t_order.c.id)).mappings()]
    assert len(rows) <= 1, f"expected at most one order for {where}, found {len(rows)}"
    return rows[0] if rows else None


def count(engine: sa.Engine, table: sa.Table, *where: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(table).where(*where)
        ).scalar_one()


def wechat_notify(
    out_trade_no: str,
    total_fee: int,
    *,
    transaction_id: str = "4200000001202512011234567890",
    result_code: str = "SUCCESS",
    time_end: str = "20251201123005",
) -> bytes:
    fields = {
        "appid": "wx2421b1c4370ec43b",
        "mch_id": "10000100",
        "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        "sign": "NOT-CHECKED",
        "result_code": result_code,
        "return_code": "SUCCESS",
        "openid": "o-test-1",
        "trade_type": "JSAPI",
        "total_fee": total_fee,
        "cash_fee": total_fee,
        "transaction_id": transaction_id,
        "out_trade_no": out_trade_no,
        "time_end": time_end,
    }
    inner = "".join(
        f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}><![CDATA[{v}]]></{k}>"
        for k, v in fields.items()
    )
    return f"<xml>{inner}</xml>".encode()


def wechat_answer(text: str) -> tuple[str, str]:
    from defusedxml import ElementTree

    root = ElementTree.fromstring(text)
    return root.findtext("return_code"), root.findtext("return_msg")
