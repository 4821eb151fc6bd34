"""Seeded mini-program and App members, with the member table's quirks (pure).

One wide ``t_member`` row per identity the legacy happened to create: some people exist twice
(an openid-only mini-program row and a phone-only App row, ``duplicate_person``), phones come
in mixed formats, emoji in nicknames were lost as ``????``, birthdays are free text.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass

from zhongtai.workload import catalog, quirks
from zhongtai.workload.quirks import QuirkDice
from zhongtai.workload.timeline import DAY, local_times


@dataclass(frozen=True)
class MemberRef:
    """What an order needs to know about its member: who, and the phone the person uses."""

    id: int
    name: str
    phone: str | None  # the person's 11 digits, even when this row only holds an openid
    deleted: bool


def openid(rng: random.Random) -> str:
    """A WeChat-style openid (28 characters, starts with 'o')."""
    return "o" + base64.urlsafe_b64encode(rng.randbytes(21)).decode()[:27]


def build_members(
    rng: random.Random, dice: QuirkDice, count: int, stores: int, now: int
) -> tuple[list[dict], list[MemberRef]]:
    """``count`` member rows (ids 1..count) and their references, oldest first."""
    rand = rng.random
    times = local_times()
    created = sorted(now - int(rand() * 1000 * DAY) for _ in range(count))
    rows: list[dict] = []
    refs: list[MemberRef] = []
    while len(rows) < count:
        person = _person(rng)
        if count - len(rows) >= 2 and dice.roll("duplicate_person"):
            shapes = (("openid", 3), ("phone", 4))  # mini-program row, then an App sign-up
        else:
            r = rand()
            shape = "both" if r < 0.7 else "openid" if r < 0.9 else "phone"
            shapes = ((shape, 3 if shape != "phone" else 4),)
        for shape, source in shapes:
            member_id = len(rows) + 1
            deleted = rand() < 0.01
            rows.append(
                _row(
                    rng,
                    dice,
                    times,
                    person,
                    shape,
                    source,
                    member_id,
                    deleted,
                    created[member_id - 1],
                    stores,
                )
            )
            refs.append(MemberRef(member_id, person["name"], person["phone"], deleted))
    return rows, refs


def _person(rng: random.Random) -> dict:
    rand = rng.random
    surname = catalog.SURNAMES[int(rand() * len(catalog.SURNAMES))]
    given = "".join(
        catalog.GIVEN[int(rand() * len(catalog.GIVEN))] for _ in range(1 + (rand() < 0.7))
    )
    nick = catalog.NICK_WORDS[int(rand() * len(catalog.NICK_WORDS))]
    if rand() < 0.3:
        nick += catalog.EMOJI[int(rand() * len(catalog.EMOJI))]
    year, month, day = 1965 + int(rand() * 40), 1 + int(rand() * 12), 1 + int(rand() * 28)
    return {
        "name": surname + given,
        "nick": nick,
        "phone": quirks.mobile(rng),
        "gender": int(rand() * 3),
        "birthday": (year, month, day) if rand() < 0.6 else None,
        "unionid": "o" + base64.urlsafe_b64encode(rng.randbytes(21)).decode()[:27],
    }


def _row(rng, dice, times, person, shape, source, member_id, deleted, created, stores) -> dict:
    rand = rng.random
    mobile = None
    if shape != "openid":
        mobile = person["phone"]
        if dice.roll("masked_member_phone"):
            mobile = quirks.mask_phone(mobile)
        elif dice.roll("member_phone_format"):
            mobile = quirks.odd_mobile(rng, mobile)
    nickname = person["nick"]
    if nickname != quirks.lose_emoji(nickname) and dice.roll("emoji_lost"):
        nickname = quirks.lose_emoji(nickname)
    birthday = None
    if person["birthday"]:
        y, m, d = person["birthday"]
        birthday = (
            quirks.odd_birthday(rng, y, m, d)
            if dice.roll("birthday_format")
            else f"{y}-{m:02d}-{d:02d}"
        )
    level = 1 + int(rand() ** 2 * 5)
    balance = 0.0
    if rand() < 0.15:
        # Stored value: top-ups minus spends in float yuan, as the legacy accumulated it.
        for _ in range(1 + int(rand() * 4)):
            balance += (50, 100, 200, 0.1, 0.2)[int(rand() * 5)]
        balance -= round(rand() * balance, 1)
    return {
        "id": member_id,
        "openid": openid(rng) if shape != "phone" else None,
        "unionid": person["unionid"]
        if shape == "both" or (shape == "openid" and rand() < 0.5)
        else None,
        "mobile": mobile,
        "nickname": nickname,
        "gender": person["gender"],
        "birthday": birthday,
        "level": level,
        "points": int(rand() ** 3 * 20_000),
        "balance": balance,
        "source_channel": source,
        "register_store_id": 1 + int(rand() * stores),
        "is_deleted": int(deleted),
        "create_time": times.local(created),
    }
