"""Chinese working days: weekends, public holidays and make-up working days (调休).

Where the rules say "working days" (e.g. a mediator confirms acceptance within 3 working
days, E §15) a deadline counts only days that are working days in mainland China. The
State Council publishes each year's table in late autumn, so the table is configuration:
``ODR_HOLIDAYS_FILE`` (JSON ``{"holidays": ["2027-01-01", ...], "workdays": [...]}``)
extends or overrides the built-in years below.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from flask import current_app

from odr.core.time import DEFAULT_TZ, UTC


def _span(first: str, last: str) -> set[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return {start + timedelta(days=i) for i in range((end - start).days + 1)}


#: built-in table (State Council notices for 2025 and 2026)
BUILTIN_HOLIDAYS: set[date] = (
    _span("2025-01-01", "2025-01-01") | _span("2025-01-28", "2025-02-04") | _span("2025-04-04", "2025-04-06")
    | _span("2025-05-01", "2025-05-05") | _span("2025-05-31", "2025-06-02") | _span("2025-10-01", "2025-10-08")
    | _span("2026-01-01", "2026-01-03") | _span("2026-02-15", "2026-02-23") | _span("2026-04-04", "2026-04-06")
    | _span("2026-05-01", "2026-05-05") | _span("2026-06-19", "2026-06-21") | _span("2026-09-25", "2026-09-27")
    | _span("2026-10-01", "2026-10-07")
)
BUILTIN_WORKDAYS: set[date] = {date.fromisoformat(d) for d in (
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")}


@lru_cache(maxsize=8)
def _load(path: str | None) -> tuple[frozenset[date], frozenset[date]]:
    holidays, workdays = set(BUILTIN_HOLIDAYS), set(BUILTIN_WORKDAYS)
    if path and Path(path).is_file():
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        extra_h = {date.fromisoformat(d) for d in data.get("holidays", [])}
        extra_w = {date.fromisoformat(d) for d in data.get("workdays", [])}
        holidays = (holidays - extra_w) | extra_h
        workdays = (workdays - extra_h) | extra_w
    return frozenset(holidays), frozenset(workdays)


def _tables() -> tuple[frozenset[date], frozenset[date]]:
    try:
        path = current_app.config.get("HOLIDAYS_FILE")
    except RuntimeError:
        path = None
    return _load(path)


def is_working_day(day: date) -> bool:
    holidays, workdays = _tables()
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (the start day itself does not count)."""
    day = start
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def end_of_local_day(day: date) -> datetime:
    """Deadlines in days end at midnight in China: 23:59:59 Asia/Shanghai, stored as UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=DEFAULT_TZ).astimezone(UTC)


def due_after_days(start: datetime, n: int, *, working: bool = False) -> datetime:
    """End of the n-th (working) day after ``start`` counted in Asia/Shanghai.

    The day of the triggering event does not count (the usual reckoning of periods in
    Chinese procedure), so "30 days from acceptance on 1 March" ends on 31 March.
    """
    local_day = start.astimezone(DEFAULT_TZ).date()
    last = add_working_days(local_day, n) if working else local_day + timedelta(days=n)
    return end_of_local_day(last)
