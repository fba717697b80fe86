"""The organization admin's writes to the pool: a mediator's profile, status and capacity,
and adding a mediator with a checked profile.

Every change is validated here (not in the form) so the web pages and any future API
refuse the same things with the same per-field messages, audited with before/after,
and committed in one transaction.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select

from odr.accounts import policy
from odr.accounts.models import Role, User
from odr.audit.services import record
from odr.cases.models import Category
from odr.core.errors import BadInput, Forbidden
from odr.extensions import db
from odr.mediators.models import MediatorProfile, MediatorTag, tag_rows
from odr.mediators.staff import create_staff
from odr.organizations.models import Organization
from odr.organizations.regions import region_exists

STATUSES = ("active", "suspended")
#: the profile fields an admin edits, in the order the audit trail lists them
EDITABLE = ("display_name", "bio", "specialties", "languages", "region_code", "qualifications",
            "years_of_practice", "max_cases")


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def clean_profile(data: dict[str, Any], *, active_cases: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Normalise the editable fields; returns (values, per-field errors).

    Shared by editing and by adding a mediator, so a region code that does not exist or
    a capacity below the cases already in hand is refused the same way in both.
    """
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    if "display_name" in data:
        name = (data.get("display_name") or "").strip()
        if not name:
            errors["display_name"] = _l("Give the mediator's name.")
        out["display_name"] = name[:100]
    if "bio" in data:
        out["bio"] = (data.get("bio") or "").strip()[:4000] or None
    if "qualifications" in data:
        out["qualifications"] = (data.get("qualifications") or "").strip()[:4000] or None
    if "specialties" in data:
        specialties = [c for c in dict.fromkeys(data.get("specialties") or []) if c]
        bad = [c for c in specialties if c not in Category.ALL]
        if bad:
            errors["specialties"] = _l("Unknown categories: %(c)s", c=", ".join(bad))
        out["specialties"] = specialties
    if "languages" in data:
        raw = data.get("languages") or []
        items = raw.replace("，", ",").split(",") if isinstance(raw, str) else raw
        languages = [x for x in dict.fromkeys(str(i).strip()[:30] for i in items) if x]
        if len(languages) > 10:
            errors["languages"] = _l("List at most 10 languages or dialects.")
        out["languages"] = languages or ["zh"]
    if "region_code" in data:
        code = (data.get("region_code") or "").strip()
        if code and not region_exists(code):
            errors["region_code"] = _l("Unknown region code.")
        out["region_code"] = code or None
    if "years_of_practice" in data:
        years = _as_int(data.get("years_of_practice") or 0)
        if years is None or not 0 <= years <= 80:
            errors["years_of_practice"] = _l("Give a whole number of years from 0 to 80.")
        out["years_of_practice"] = years or 0
    if "max_cases" in data:
        cap = _as_int(data.get("max_cases"))
        if cap is None or not 1 <= cap <= 500:
            errors["max_cases"] = _l("Give a whole number from 1 to 500.")
        elif cap < active_cases:
            errors["max_cases"] = _l("The mediator has %(n)d cases in hand; the maximum cannot be lower.",
                                     n=active_cases)
        out["max_cases"] = cap
    return out, errors


def update_profile(profile: MediatorProfile, data: dict[str, Any], actor: Any) -> MediatorProfile:
    """Change a mediator's public profile and capacity (the admin of their organization)."""
    if not policy.can(actor, "mediator.manage", profile):
        raise Forbidden()
    values, errors = clean_profile(data, active_cases=profile.active_cases)
    if errors:
        raise BadInput(_l("Please correct the marked fields."), fields=errors)
    user = profile.user
    before = _snapshot(profile, user)
    if "display_name" in values:
        user.display_name = values.pop("display_name")
    for key, value in values.items():
        setattr(profile, key, value)
    sync_tags(profile)
    after = _snapshot(profile, user)
    record("mediator.update", profile, actor=actor, object_id=profile.user_id,
           before={k: v for k, v in before.items() if after[k] != v},
           after={k: v for k, v in after.items() if before[k] != v})
    db.session.commit()
    return profile


def set_status(profile: MediatorProfile, status: str, actor: Any) -> MediatorProfile:
    """Suspend or reactivate: a suspended mediator leaves the directory, matching and booking
    at once; cases already in hand stay with them until the admin reassigns."""
    if not policy.can(actor, "mediator.manage", profile) or getattr(actor, "id", None) == profile.user_id:
        raise Forbidden()
    if status not in STATUSES:
        raise BadInput(_l("Status must be active or suspended."), fields={"status": _l("Choose a status.")})
    if profile.status != status:
        record("mediator.status", profile, actor=actor, object_id=profile.user_id,
               before={"status": profile.status}, after={"status": status})
        profile.status = status
    db.session.commit()
    return profile


def add_mediator(organization: Organization, data: dict[str, Any], actor: Any) -> User:
    """Create a mediator account in ``organization`` after checking the profile fields that
    ``create_staff`` takes as given (region code, languages, years, capacity)."""
    values, errors = clean_profile({k: data.get(k) for k in EDITABLE if k in data})
    for key in ("username", "password"):
        if not (data.get(key) or "").strip():
            errors[key] = _l("This field is required.")
    if (data.get("username") or "").strip() and db.session.execute(
            select(User.id).where(User.username == data["username"].strip())).first():
        errors["username"] = _l("This username is taken.")
    if errors:
        raise BadInput(_l("Please correct the marked fields."), fields=errors)
    staff = {"role": Role.MEDIATOR, "organization_id": organization.id,
             "username": data["username"].strip(), "password": data["password"],
             "phone": (data.get("phone") or "").strip() or None,
             "email": (data.get("email") or "").strip() or None, **values}
    user = create_staff(staff, actor)
    if values.get("qualifications"):
        profile = db.session.get(MediatorProfile, user.id)
        profile.qualifications = values["qualifications"]
        db.session.commit()
    return user


def _snapshot(profile: MediatorProfile, user: User) -> dict[str, Any]:
    return {"display_name": user.display_name, "bio": profile.bio, "specialties": list(profile.specialties or []),
            "languages": list(profile.languages or []), "region_code": profile.region_code,
            "qualifications": profile.qualifications, "years_of_practice": profile.years_of_practice,
            "max_cases": profile.max_cases}


def sync_tags(profile: MediatorProfile) -> None:
    """Rewrite one mediator's tag rows from the profile's lists (caller commits)."""
    db.session.execute(delete(MediatorTag).where(MediatorTag.mediator_id == profile.user_id))
    rows = tag_rows(profile.user_id, profile.specialties, profile.languages)
    if rows:
        db.session.execute(insert(MediatorTag), rows)


def rebuild_all_tags(batch: int = 5000) -> int:
    """Rebuild every tag row from the profiles (a migration that adds the table calls
    this once for the profiles that existed before); returns the number of rows."""
    db.session.execute(delete(MediatorTag))
    total = 0
    rows: list[dict[str, Any]] = []
    for uid, specialties, languages in db.session.execute(
            select(MediatorProfile.user_id, MediatorProfile.specialties, MediatorProfile.languages)):
        rows.extend(tag_rows(uid, specialties, languages))
        if len(rows) >= batch:
            db.session.execute(insert(MediatorTag), rows)
            total, rows = total + len(rows), []
    if rows:
        db.session.execute(insert(MediatorTag), rows)
        total += len(rows)
    db.session.commit()
    return total
