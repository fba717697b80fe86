"""One clock for the whole app: aware UTC datetimes, shown in the viewer's zone.

Everything is stored in UTC. ``now()`` is the single place code asks for the time, so
tests can move it with time-machine and the scheduler's lateness can be measured.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

UTC = UTC
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def ensure_aware(value: datetime) -> datetime:
    """Treat naive datetimes as UTC (what the database hands back on SQLite)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local(value: datetime, tz: ZoneInfo = DEFAULT_TZ) -> datetime:
    return ensure_aware(value).astimezone(tz)


def local_today(tz: ZoneInfo = DEFAULT_TZ) -> date:
    return now().astimezone(tz).date()


def parse_iso(value: str) -> datetime:
    """Parse ISO 8601 with an offset; a time without a zone is refused (ValueError)."""
    text = value.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("time zone missing")
    return parsed.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    return ensure_aware(value).isoformat() if value is not None else None


def days(n: int) -> timedelta:
    return timedelta(days=n)
