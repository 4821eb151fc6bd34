"""Fixed vocabularies the seed draws from: cities, dishes, names, remarks (pure data).

Nothing here is random; ``seed`` picks from these lists with its own ``random.Random``, so the
same seed always yields the same names. Prices are in fen (integers) to keep sums exact until
the legacy float columns are written.
"""

from __future__ import annotations

from typing import NamedTuple


class City(NamedTuple):
    prefix: str  # two capitals, the start of every store code in the city
    name: str
    lng: float  # GCJ-02 centre
    lat: float
    weight: int  # share of the chain's stores
    districts: tuple[str, ...]


CITIES: tuple[City, ...] = (
    City("SH", "上海", 121.4737, 31.2304, 30, ("黄浦区", "静安区", "徐汇区", "浦东新区", "长宁区")),
    City("BJ", "北京", 116.4074, 39.9042, 20, ("朝阳区", "海淀区", "东城区", "西城区", "丰台区")),
    City("HZ", "杭州", 120.1551, 30.2741, 12, ("西湖区", "上城区", "拱墅区", "滨江区")),
    City("SZ", "深圳", 114.0579, 22.5431, 12, ("南山区", "福田区", "罗湖区", "宝安区")),
    City("GZ", "广州", 113.2644, 23.1291, 10, ("天河区", "越秀区", "海珠区", "番禺区")),
    City("NJ", "南京", 118.7969, 32.0603, 8, ("鼓楼区", "玄武区", "秦淮区", "建邺区")),
    City("CD", "成都", 104.0665, 30.5723, 8, ("锦江区", "武侯区", "青羊区", "高新区")),
)

ROADS = (
    "南京西路",
    "淮海中路",
    "人民路",
    "中山路",
    "解放路",
    "建国路",
    "长安街",
    "文三路",
    "深南大道",
    "天河路",
    "新街口",
    "春熙路",
    "科技园路",
    "延安路",
    "复兴路",
    "学院路",
    "滨江大道",
    "和平路",
)
LANDMARKS = (
    "万象城",
    "来福士",
    "大悦城",
    "万达广场",
    "龙湖天街",
    "银泰",
    "世纪汇",
    "火车站",
    "中心",
    "江边",
    "人民广场",
    "科技园",
    "大学城",
    "新天地",
    "会展中心",
    "机场",
)
BRANDS = (("LJF", "老街坊"), ("XWJ", "小碗记"), ("SFC", "食坊厨房"))

# (category id, category name, old name still copied into some product rows, dishes)
# dish: (name, price in fen, kind) — kind decides the SKU specs (see SPECS).
MENU: tuple[tuple[int, str, str, tuple[tuple[str, int, str], ...]], ...] = (
    (
        11,
        "招牌推荐",
        "招牌",
        (
            ("招牌红烧肉", 3800, "dish"),
            ("小炒黄牛肉", 4200, "dish"),
            ("剁椒鱼头", 6800, "dish"),
            ("宫保鸡丁", 2800, "dish"),
            ("糖醋里脊", 3200, "dish"),
            ("水煮鱼", 5800, "dish"),
        ),
    ),
    (
        12,
        "家常小炒",
        "小炒",
        (
            ("鱼香肉丝", 2600, "dish"),
            ("麻婆豆腐", 1800, "dish"),
            ("西红柿炒鸡蛋", 1600, "dish"),
            ("酸辣土豆丝", 1400, "dish"),
            ("回锅肉", 2800, "dish"),
            ("干煸四季豆", 2000, "dish"),
            ("蒜蓉西兰花", 1800, "dish"),
            ("青椒肉丝", 2400, "dish"),
            ("地三鲜", 2000, "dish"),
            ("农家小炒肉", 2800, "dish"),
            ("木须肉", 2400, "dish"),
            ("手撕包菜", 1600, "dish"),
        ),
    ),
    (
        13,
        "主食",
        "主食",
        (
            ("米饭", 200, "single"),
            ("扬州炒饭", 1800, "single"),
            ("牛肉炒河粉", 2200, "single"),
            ("葱油拌面", 1500, "single"),
            ("鲜肉小笼包", 1800, "single"),
            ("酸辣粉", 1500, "single"),
            ("红烧牛肉面", 2600, "dish"),
            ("卤肉饭", 2200, "single"),
        ),
    ),
    (
        14,
        "汤品",
        "汤类",
        (
            ("番茄蛋花汤", 1200, "dish"),
            ("玉米排骨汤", 2800, "dish"),
            ("酸辣汤", 1400, "dish"),
            ("紫菜蛋花汤", 1000, "dish"),
        ),
    ),
    (
        15,
        "凉菜小吃",
        "凉菜",
        (
            ("拍黄瓜", 1200, "single"),
            ("口水鸡", 2600, "single"),
            ("凉拌木耳", 1400, "single"),
            ("夫妻肺片", 2800, "single"),
            ("炸春卷", 1200, "single"),
            ("卤鸭脖", 1800, "single"),
        ),
    ),
    (
        16,
        "饮品",
        "饮料",
        (
            ("柠檬茶", 1200, "drink"),
            ("酸梅汤", 800, "drink"),
            ("豆浆", 600, "drink"),
            ("可乐", 600, "single"),
            ("杨枝甘露", 1800, "drink"),
            ("鲜榨橙汁", 1600, "drink"),
        ),
    ),
    (
        17,
        "超值套餐",
        "套餐",
        (
            ("单人红烧肉套餐", 3600, "single"),
            ("双人家常套餐", 8800, "single"),
            ("工作日午市套餐", 2800, "single"),
        ),
    ),
)

# kind -> ((spec name, sku code suffix, price factor in percent, box count), ...)
SPECS: dict[str, tuple[tuple[str, str, int, int], ...]] = {
    "dish": (("大份", "L", 100, 1), ("小份", "S", 65, 1)),
    "single": (("标准", "R", 100, 1),),
    "drink": (("大杯", "L", 100, 0), ("中杯", "M", 80, 0)),
}
PROPERTIES = ("", "", "", "微辣", "特辣", "不辣", "热", "少冰", "去冰", "热,特辣", "少盐")

# Channel items the chain never mapped to a SKU (they arrive with NULL sku_id).
UNMAPPED_ITEMS = (("加一份米饭", 200), ("一次性餐具", 100), ("打包袋", 50), ("加辣椒", 0))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞婷雪慧晨宇浩然欣怡子轩梓涵"
NICK_WORDS = (
    "小鱼",
    "吃货",
    "阳光",
    "奶茶控",
    "橘子",
    "大白",
    "momo",
    "Kevin",
    "Lucy",
    "晴天",
    "小胖",
    "加油",
    "快乐每一天",
    "随风",
    "Amy",
    "老王",
    "干饭人",
    "向日葵",
    "木木",
    "Tony",
)
EMOJI = ("😀", "🍜", "🌸", "🔥", "🐱", "✨", "🍰", "🎉")

REMARKS = (
    "",
    "",
    "",
    "",
    "",
    "不要辣",
    "少放盐",
    "多放葱",
    "不要香菜",
    "请放门口，谢谢",
    "餐具不用了",
    "请尽快送达",
    "到了打电话",
    "米饭多一点",
    "微辣",
    "请勿按门铃",
    "放前台",
)
# Meituan embeds the privacy-number notice in caution; integrators strip it.
MT_PRIVACY_NOTICE = "收餐人隐私号 {phone}，手机号 {masked}"

# (Meituan reason code, text) for cancellations.
CANCEL_REASONS = (
    (1001, "系统取消，超时未确认"),
    (1002, "用户取消，不想要了"),
    (1003, "用户取消，地址填错"),
    (2001, "商家取消，已售完"),
    (2002, "商家取消，太忙了"),
    (2007, "商家取消，不在配送范围"),
)
REFUND_REASONS = (
    (2011, "菜品质量问题"),
    (2012, "送餐超时"),
    (2013, "少送菜品"),
    (2016, "商家同意退款"),
    (1010, "用户申请退款"),
)
POS_ERRORS = (
    "POS入单失败: 商品编码不存在",
    "POS入单失败: 门店未营业",
    "POS入单失败: 接口超时",
)

# Channel codes (``zhongtai.legacy.status.Channel``) as plain ints for the hot loops.
MT, ELE, MINI, APP, BAIDU = 1, 2, 3, 4, 5
PLATFORMS = (MT, ELE, BAIDU)


def yuan(fen: int) -> float:
    """Integer fen as the legacy's float yuan."""
    return fen / 100
