"""Reading the mediator pool: the public directory's filters and the JSON shape of a mediator.

JSON list columns (specialties, languages) are matched as text (``"family"`` with its
quotes inside the stored array), which works the same on SQLite and PostgreSQL and is
fast enough at province scale once the other filters have narrowed the rows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Select, String, cast, exists, select
from sqlalchemy.orm import contains_eager

from odr.accounts.models import User
from odr.core.time import DEFAULT_TZ, now
from odr.mediators.models import AvailabilityException, AvailabilitySlot, MediatorProfile
from odr.mediators.ratings import rating_summary


def _json_has(column: Any, value: str) -> Any:
    return cast(column, String).like(f'%"{value}"%')


def directory_query(*, organization_id: int | None = None, category: str | None = None,
                    region_code: str | None = None, language: str | None = None,
                    available_within: int | None = None, include_inactive: bool = False) -> Select:
    """SELECT MediatorProfile rows (their user loaded) matching the directory's filters, by name.

    "Available within N days": the mediator has a weekly slot on a weekday that falls in
    the next N days and no leave covering the whole window.
    """
    q = (select(MediatorProfile).join(User, User.id == MediatorProfile.user_id)
         .options(contains_eager(MediatorProfile.user)))
    if not include_inactive:
        q = q.where(MediatorProfile.status == "active", User.active.is_(True))
    if organization_id:
        q = q.where(MediatorProfile.organization_id == organization_id)
    if category:
        q = q.where(_json_has(MediatorProfile.specialties, category))
    if region_code:
        q = q.where(MediatorProfile.region_code.startswith(region_code))
    if language:
        q = q.where(_json_has(MediatorProfile.languages, language))
    if available_within is not None:
        start = now()
        end = start + timedelta(days=available_within)
        local = start.astimezone(DEFAULT_TZ)
        weekdays = sorted({(local + timedelta(days=d)).weekday() for d in range(min(available_within, 6) + 1)})
        q = q.where(
            exists().where(AvailabilitySlot.mediator_id == MediatorProfile.user_id,
                           AvailabilitySlot.weekday.in_(weekdays)),
            ~exists().where(AvailabilityException.mediator_id == MediatorProfile.user_id,
                            AvailabilityException.starts_at <= start, AvailabilityException.ends_at >= end))
    return q.order_by(User.display_name, User.id)


def mediator_json(profile: MediatorProfile, user: User) -> dict[str, Any]:
    return {"id": user.id, "display_name": user.display_name, "organization_id": profile.organization_id,
            "specialties": list(profile.specialties or []), "languages": list(profile.languages or []),
            "region_code": profile.region_code, "years_of_practice": profile.years_of_practice,
            "status": profile.status, "active_cases": profile.active_cases, "max_cases": profile.max_cases,
            "available": profile.status == "active" and profile.active_cases < profile.max_cases,
            "rating": rating_summary(profile)}


def mediator_detail_json(profile: MediatorProfile, user: User) -> dict[str, Any]:
    return {**mediator_json(profile, user), "bio": profile.bio, "qualifications": profile.qualifications}
