"""Weekly availability and leave: validating and storing it, and finding the next free time.

Slots are recurring weekly windows in Asia/Shanghai local time (what a mediator thinks
in); exceptions are dated absences stored in UTC. Matching and the directory's
"available within N days" filter both need "when is this mediator next free", so it is
computed here for many mediators at once from two queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Time, cast, delete, null, select

from odr.audit.services import record
from odr.core.errors import BadInput
from odr.core.time import DEFAULT_TZ, ensure_aware, now, parse_iso
from odr.core.types import UTCDateTime
from odr.extensions import db
from odr.mediators.models import AvailabilityException, AvailabilitySlot, MediatorProfile

#: how far ahead "next free" looks; beyond it a mediator counts as not available
HORIZON_DAYS = 28


def _parse_hhmm(value: Any) -> time:
    if isinstance(value, time):
        return value
    text = str(value or "").strip()
    try:
        hours, minutes = text.split(":")[:2]
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise ValueError(text) from None


def parse_weekly(items: Iterable[dict[str, Any]]) -> list[tuple[int, time, time]]:
    """Validate weekly slots: weekday 0–6, HH:MM, end after start, no overlap on a day."""
    errors: dict[str, Any] = {}
    slots: list[tuple[int, time, time]] = []
    for i, item in enumerate(items):
        try:
            weekday = int(item.get("weekday"))
            start, end = _parse_hhmm(item.get("start")), _parse_hhmm(item.get("end"))
        except (ValueError, TypeError):
            errors[f"weekly.{i}"] = _l("Give a weekday 0–6 and times as HH:MM.")
            continue
        if not 0 <= weekday <= 6:
            errors[f"weekly.{i}.weekday"] = _l("The weekday must be 0 (Monday) to 6 (Sunday).")
        elif end <= start:
            errors[f"weekly.{i}.end"] = _l("A slot must end after it starts.")
        else:
            slots.append((weekday, start, end))
    by_day: dict[int, list[tuple[time, time, int]]] = defaultdict(list)
    for index, (weekday, start, end) in enumerate(slots):
        by_day[weekday].append((start, end, index))
    for day_slots in by_day.values():
        day_slots.sort()
        for (_s1, e1, _i1), (s2, _e2, i2) in zip(day_slots, day_slots[1:], strict=False):
            if s2 < e1:
                errors[f"weekly.{i2}"] = _l("This slot overlaps another slot on the same day.")
    if errors:
        raise BadInput(_l("Please correct the availability."), fields=errors)
    return sorted(slots)


def parse_exceptions(items: Iterable[dict[str, Any]]) -> list[tuple[datetime, datetime, str | None]]:
    """Validate dated absences: ISO times with offset, end after start, no overlaps."""
    errors: dict[str, Any] = {}
    out: list[tuple[datetime, datetime, str | None]] = []
    for i, item in enumerate(items):
        try:
            start = item["start"] if isinstance(item.get("start"), datetime) else parse_iso(str(item.get("start")))
            end = item["end"] if isinstance(item.get("end"), datetime) else parse_iso(str(item.get("end")))
        except (ValueError, KeyError, TypeError):
            errors[f"exceptions.{i}"] = _l("Give start and end as ISO 8601 times with an offset.")
            continue
        start, end = ensure_aware(start), ensure_aware(end)
        if end <= start:
            errors[f"exceptions.{i}.end"] = _l("An absence must end after it starts.")
            continue
        out.append((start, end, (item.get("reason") or None)))
    out.sort(key=lambda r: r[0])
    for a, b in zip(out, out[1:], strict=False):
        if b[0] < a[1]:
            errors["exceptions"] = _l("Two absences overlap.")
    if errors:
        raise BadInput(_l("Please correct the availability."), fields=errors)
    return out


def set_availability(profile: MediatorProfile, weekly: list[dict[str, Any]],
                     exceptions: list[dict[str, Any]], actor: Any) -> dict[str, Any]:
    """Replace a mediator's weekly slots and absences (validated first; audited; commits)."""
    slots = parse_weekly(weekly)
    absences = parse_exceptions(exceptions)
    before = availability_json(profile.user_id)
    db.session.execute(delete(AvailabilitySlot).where(AvailabilitySlot.mediator_id == profile.user_id))
    db.session.execute(delete(AvailabilityException).where(AvailabilityException.mediator_id == profile.user_id))
    db.session.add_all(AvailabilitySlot(mediator_id=profile.user_id, weekday=d, start=s, end=e) for d, s, e in slots)
    db.session.add_all(AvailabilityException(mediator_id=profile.user_id, starts_at=s, ends_at=e, reason=r)
                       for s, e, r in absences)
    db.session.flush()
    after = availability_json(profile.user_id)
    record("mediator.availability", profile, actor=actor, object_id=profile.user_id, before=before, after=after)
    db.session.commit()
    return after


def availability_json(mediator_id: int) -> dict[str, Any]:
    slots = db.session.execute(select(AvailabilitySlot).where(AvailabilitySlot.mediator_id == mediator_id)
                               .order_by(AvailabilitySlot.weekday, AvailabilitySlot.start)).scalars()
    absences = db.session.execute(select(AvailabilityException)
                                  .where(AvailabilityException.mediator_id == mediator_id)
                                  .order_by(AvailabilityException.starts_at)).scalars()
    return {
        "weekly": [{"weekday": s.weekday, "start": s.start.strftime("%H:%M"), "end": s.end.strftime("%H:%M")}
                   for s in slots],
        "exceptions": [{"start": ensure_aware(a.starts_at).isoformat(), "end": ensure_aware(a.ends_at).isoformat(),
                        "reason": a.reason} for a in absences],
    }


def next_free(mediator_ids: Iterable[int], *, start: datetime | None = None,
              horizon_days: int = HORIZON_DAYS) -> dict[int, datetime | None]:
    """The earliest moment from ``start`` each mediator has a slot not covered by leave.

    A mediator with no weekly slots at all maps to None (unknown), as does one with
    nothing free within the horizon.
    """
    ids = list(mediator_ids)
    begin = ensure_aware(start or now())
    end_of_horizon = begin + timedelta(days=horizon_days)
    result: dict[int, datetime | None] = dict.fromkeys(ids)
    if not ids:
        return result
    weekly: dict[int, list[tuple[int, time, time]]] = defaultdict(list)
    leave: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    # Weekly slots and the leave that overlaps the horizon in one statement (matching ranks
    # a whole organization per call, and on PostgreSQL each round trip costs about a ms).
    no_time, no_moment = cast(null(), Time), cast(null(), UTCDateTime())
    slots = select(AvailabilitySlot.mediator_id, AvailabilitySlot.weekday, AvailabilitySlot.start,
                   AvailabilitySlot.end, no_moment.label("starts_at"), no_moment.label("ends_at")
                   ).where(AvailabilitySlot.mediator_id.in_(ids))
    absences = select(AvailabilityException.mediator_id, cast(null(), Integer), no_time, no_time,
                      AvailabilityException.starts_at, AvailabilityException.ends_at
                      ).where(AvailabilityException.mediator_id.in_(ids), AvailabilityException.ends_at > begin,
                              AvailabilityException.starts_at < end_of_horizon)
    for mid, wd, s, e, leave_from, leave_to in db.session.execute(slots.union_all(absences)):
        if wd is not None:
            weekly[mid].append((wd, s, e))
        else:
            leave[mid].append((ensure_aware(leave_from), ensure_aware(leave_to)))
    local_begin = begin.astimezone(DEFAULT_TZ)
    for mid, slots in weekly.items():
        absences = sorted(leave.get(mid, []))
        result[mid] = _first_free(slots, absences, begin, local_begin, horizon_days)
    return result


def _first_free(slots: list[tuple[int, time, time]], absences: list[tuple[datetime, datetime]],
                begin: datetime, local_begin: datetime, horizon_days: int) -> datetime | None:
    for offset in range(horizon_days + 1):
        day = (local_begin + timedelta(days=offset)).date()
        for _weekday, s, e in sorted(x for x in slots if x[0] == day.weekday()):
            lo = datetime.combine(day, s, DEFAULT_TZ).astimezone(begin.tzinfo)
            hi = datetime.combine(day, e, DEFAULT_TZ).astimezone(begin.tzinfo)
            lo = max(lo, begin)
            for a_start, a_end in absences:
                if a_start <= lo < a_end:
                    lo = a_end
            if lo < hi:
                return lo
    return None


def profile_for(user_id: int) -> MediatorProfile | None:
    return db.session.get(MediatorProfile, user_id)
