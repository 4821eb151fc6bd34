"""Legacy time formats (pure): local Asia/Shanghai strings, WeChat yyyyMMddHHmmss."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# China has had no DST since 1991; a fixed offset keeps the legacy's conversions exact.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
WECHAT_FORMAT = "%Y%m%d%H%M%S"
ZERO_DATE = "0000-00-00 00:00:00"


def now_local() -> datetime:
    return datetime.now(SHANGHAI)


def local_str(moment: datetime | None = None) -> str:
    """'yyyy-MM-dd HH:mm:ss' in Shanghai time, the legacy's VARCHAR timestamp."""
    moment = moment or now_local()
    return moment.astimezone(SHANGHAI).strftime(LOCAL_FORMAT)


def parse_local(text: str) -> datetime | None:
    """Parse a legacy local-time string; the zero date and empty strings mean None."""
    if not text or text.startswith("0000-00-00"):
        return None
    return datetime.strptime(text, LOCAL_FORMAT).replace(tzinfo=SHANGHAI)


def wechat_str(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime(WECHAT_FORMAT)


def parse_wechat(text: str) -> datetime:
    """Parse WeChat's ``time_end`` (GMT+8); ValueError if malformed."""
    if len(text) != 14 or not text.isdigit():
        raise ValueError(f"time_end {text!r} is not yyyyMMddHHmmss")
    return datetime.strptime(text, WECHAT_FORMAT).replace(tzinfo=SHANGHAI)
