"""Reading the mediator pool: the public directory's filters and the JSON shape of a mediator.

Every filter is an index lookup on SQLite and PostgreSQL alike: specialties and languages
through the ``mediator_tag`` rows (the JSON lists cannot be indexed portably, and matching
their text missed non-ASCII dialect names, which JSON stores escaped), a region prefix as
a range on ``region_code`` (``LIKE 'x%'`` uses no index on PostgreSQL outside the C
collation). docs/benchmarks.md, "Mediator pools", has the numbers.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, String, cast, exists, select
from sqlalchemy.orm import contains_eager

from odr.accounts.models import User
from odr.core.time import DEFAULT_TZ, now
from odr.extensions import db
from odr.mediators.models import AvailabilityException, AvailabilitySlot, MediatorProfile, MediatorTag, tags_ready
from odr.mediators.photos import photo_url
from odr.mediators.ratings import rating_summary


def _tagged(kind: str, value: str) -> Any:
    if not tags_ready(db.session.connection()):
        column = MediatorProfile.specialties if kind == "specialty" else MediatorProfile.languages
        needle = json.dumps(value.strip()).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return cast(column, String).like(f"%{needle}%", escape="\\")
    # a correlated EXISTS is one primary-key probe per profile, so the planner can walk the
    # profiles in the directory's order and stop after a page instead of sorting all matches
    return exists().where(MediatorTag.kind == kind, MediatorTag.value == value.strip(),
                          MediatorTag.mediator_id == MediatorProfile.user_id)


def region_prefix(column: Any, code: str) -> Any:
    """``column`` starts with the digits ``code``, as a range a plain index can serve."""
    return (column >= code) & (column < code[:-1] + chr(ord(code[-1]) + 1))


def directory_query(*, organization_id: int | None = None, category: str | None = None,
                    region_code: str | None = None, language: str | None = None,
                    available_within: int | None = None, include_inactive: bool = False) -> Select:
    """SELECT MediatorProfile rows (their user loaded) matching the directory's filters,
    ordered by region code then id: an index order (``ix_mediator_profile_region_user``),
    so a page is read without sorting every match, and mediators of one place stay together.

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
        q = q.where(_tagged("specialty", category))
    if region_code:
        q = q.where(region_prefix(MediatorProfile.region_code, region_code))
    if language:
        q = q.where(_tagged("language", language))
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
    return q.order_by(MediatorProfile.region_code, MediatorProfile.user_id)


def mediator_json(profile: MediatorProfile, user: User) -> dict[str, Any]:
    return {"id": user.id, "display_name": user.display_name, "organization_id": profile.organization_id,
            "specialties": list(profile.specialties or []), "languages": list(profile.languages or []),
            "region_code": profile.region_code, "years_of_practice": profile.years_of_practice,
            "status": profile.status, "active_cases": profile.active_cases, "max_cases": profile.max_cases,
            "available": profile.status == "active" and profile.active_cases < profile.max_cases,
            "rating": rating_summary(profile), "photo_url": photo_url(profile)}


def mediator_detail_json(profile: MediatorProfile, user: User) -> dict[str, Any]:
    return {**mediator_json(profile, user), "bio": profile.bio, "qualifications": profile.qualifications}
