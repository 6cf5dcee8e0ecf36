"""Timestamps are stored as UTC 'YYYY-MM-DD HH:MM:SS' (the seed's TIMESTAMP precision) on both engines."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

FMT = "%Y-%m-%d %H:%M:%S"


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def now_str() -> str:
    return utcnow().strftime(FMT)


def db_str(dt: datetime) -> str:
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc)
    return dt.strftime(FMT)


def ago_str(seconds: float) -> str:
    return db_str(utcnow() - timedelta(seconds=seconds))


def parse(value: Any) -> datetime | None:
    """Database value (datetime from MySQL, text from SQLite) -> aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    text = str(value).strip()
    if len(text) > 19 and text[-6] in "+-" and text[-3] == ":":  # an offset typed by a user: normalise to UTC
        try:
            return datetime.fromisoformat(text).astimezone(timezone.utc)
        except (ValueError, OverflowError):
            return None
    text = text.replace("T", " ").replace("Z", "")
    for fmt in (FMT, "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text[:26], fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def iso(value: Any) -> str | None:
    dt = parse(value)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ") if dt else None


MIN_YEAR, MAX_YEAR = 1900, 9998  # what both engines store and compare, with room for a day and an offset


def parse_user_date(text: str, end: bool = False) -> str:
    """A filter bound typed by a user (YYYY-MM-DD or ISO 8601) -> stored format; ValueError if bad or out of
    range (``9999-12-31`` plus a day, or year 1 at +14:00, would overflow)."""
    text = text.strip()
    try:
        if len(text) == 10:
            dt = datetime.strptime(text, "%Y-%m-%d")
            if end:
                dt = dt + timedelta(days=1) - timedelta(seconds=1)
        else:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
            dt = dt.astimezone(timezone.utc) if dt.tzinfo else dt
    except OverflowError:
        raise ValueError(f"a date between {MIN_YEAR} and {MAX_YEAR}") from None
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise ValueError(f"a date between {MIN_YEAR} and {MAX_YEAR}")
    return dt.strftime(FMT)
