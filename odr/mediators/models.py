"""Mediator profiles, availability, declared relations and ratings."""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Engine,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    event,
    insert,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.dml import Insert

from odr.accounts.models import User
from odr.core.model_mixins import TimestampMixin
from odr.core.types import UTCDateTime
from odr.extensions import db


class MediatorProfile(TimestampMixin, db.Model):
    """A mediator is a user with role "mediator"; this row holds what matching needs.

    ``active_cases`` is a counter updated in the same transaction as an assignment,
    guarded by ``active_cases <= max_cases`` so two admins cannot both take the last slot.
    """

    __tablename__ = "mediator_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True, nullable=False)
    bio: Mapped[str | None] = mapped_column(Text)
    photo_key: Mapped[str | None] = mapped_column(String(200))
    specialties: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    qualifications: Mapped[str | None] = mapped_column(Text)
    years_of_practice: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="active", nullable=False)
    max_cases: Mapped[int] = mapped_column(Integer, default=10, nullable=False)
    active_cases: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cases_settled: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    cases_failed: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rating_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rating_sum: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    user: Mapped[User] = relationship()

    __table_args__ = (
        CheckConstraint("active_cases >= 0 AND active_cases <= max_cases", name="capacity"),
        # the directory's order and its region filter (a range) in one index walk
        Index("ix_mediator_profile_region_user", "region_code", "user_id"),
    )


class MediatorTag(db.Model):
    """One specialty or language of a mediator, a row each, so the directory's category and
    language filters are index lookups on SQLite and PostgreSQL alike (the JSON lists on the
    profile stay the source of truth; ``sync_tags`` and the insert hook below keep this in step).
    """

    __tablename__ = "mediator_tag"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "specialty" | "language"
    value: Mapped[str] = mapped_column(String(30), primary_key=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediator_profile.user_id", ondelete="CASCADE"),
                                             primary_key=True, index=True)


_TAGS_READY: dict[str, bool] = {}


def tags_ready(conn: Any) -> bool:
    """Whether this database has the ``mediator_tag`` table yet (asked once per database).

    Until the migration that adds it is applied, profiles are written without tags and the
    directory filters on the JSON lists instead, so a database built by an older migration
    keeps working; the migration backfills with ``profiles.rebuild_all_tags``.
    """
    key = str(conn.engine.url)
    if key not in _TAGS_READY:
        from sqlalchemy import inspect

        _TAGS_READY[key] = inspect(conn).has_table("mediator_tag")
        if not _TAGS_READY[key]:
            logging.getLogger(__name__).warning("mediator_tag table missing: directory filters use the JSON lists")
    return _TAGS_READY[key]


def tag_rows(user_id: int, specialties: Any, languages: Any) -> list[dict[str, Any]]:
    rows = []
    for kind, values in (("specialty", specialties), ("language", languages)):
        for value in dict.fromkeys(str(v).strip()[:30] for v in values or []):
            if value:
                rows.append({"kind": kind, "value": value, "mediator_id": user_id})
    return rows


@event.listens_for(Engine, "after_execute")
def _tags_for_new_profiles(conn: Any, clauseelement: Any, multiparams: Any, params: Any,
                           execution_options: Any, result: Any) -> None:
    """Every INSERT of profiles — one through the ORM or thousands in bulk (the demo seeds) —
    gets its tag rows in the same transaction, so no writer can forget them."""
    if not isinstance(clauseelement, Insert) or clauseelement.table.name != "mediator_profile":
        return
    if execution_options.get("odr_raw_copy"):  # a backup restore copies the tag rows themselves
        return
    if not tags_ready(conn):
        return
    rows = []
    for item in (multiparams or ([params] if params else [])):
        if isinstance(item, dict) and item.get("user_id") is not None:
            rows.extend(tag_rows(item["user_id"], item.get("specialties"), item.get("languages")))
    if rows:
        conn.execute(insert(MediatorTag.__table__), rows)


class AvailabilitySlot(db.Model):
    """A weekly recurring slot in Asia/Shanghai local time (Monday = 0)."""

    __tablename__ = "availability_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediator_profile.user_id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    start: Mapped[time] = mapped_column(Time, nullable=False)
    end: Mapped[time] = mapped_column(Time, nullable=False)

    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),)


class AvailabilityException(db.Model):
    """A dated period the mediator is away (leave), in UTC."""

    __tablename__ = "availability_exception"

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediator_profile.user_id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(200))


class Disclosure(TimestampMixin, db.Model):
    """What a mediator declared about relations to a case's parties (回避 disclosure)."""

    __tablename__ = "disclosure"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True, nullable=False)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True, nullable=False)
    has_relation: Mapped[bool] = mapped_column(default=False, nullable=False)
    description: Mapped[str | None] = mapped_column(Text)


class RecusalRequest(TimestampMixin, db.Model):
    """A request that the assigned mediator withdraw, and the admin's decision."""

    __tablename__ = "recusal_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True, nullable=False)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)


class Rating(TimestampMixin, db.Model):
    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), nullable=False)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True, nullable=False)
    rater_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    score: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("case_id", "rater_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score"),
    )
