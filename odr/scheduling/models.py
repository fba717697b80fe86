"""Video sessions, who takes part, deadlines and session minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.core.model_mixins import TimestampMixin
from odr.core.types import UTCDateTime
from odr.extensions import db


class MediationSession(TimestampMixin, db.Model):
    """A proposed or booked video session. ``sequence`` is the iCalendar SEQUENCE."""

    __tablename__ = "mediation_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="proposed", nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="mediation", nullable=False)  # mediation | hearing
    proposal_group: Mapped[str | None] = mapped_column(String(36), index=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    attendees: Mapped[list[SessionAttendee]] = relationship(
        back_populates="session", cascade="all, delete-orphan")


class SessionAttendee(db.Model):
    """A participant of a session and whether they accepted the proposed time."""

    __tablename__ = "session_attendee"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("mediation_session.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)  # mediator | party | agent | judge | clerk
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recording_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[MediationSession] = relationship(back_populates="attendees")

    __table_args__ = (UniqueConstraint("session_id", "user_id"),)


class Deadline(TimestampMixin, db.Model):
    """A legal or configured deadline, the scheduler's source of truth for what is due."""

    __tablename__ = "deadline"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    confirmation_id: Mapped[int | None] = mapped_column(ForeignKey("confirmation_application.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", nullable=False, index=True)  # open | met | expired | cancelled
    extended_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Minutes(TimestampMixin, db.Model):
    """Session minutes (调解笔录); a confirmed version is fixed, a change is a new version."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True, nullable=False)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_session.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="draft", nullable=False)  # draft | confirming | confirmed | superseded
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("case_id", "session_id", "version"),)


class MinutesConfirmation(db.Model):
    __tablename__ = "minutes_confirmation"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (UniqueConstraint("minutes_id", "user_id"),)


class BusyBlock(db.Model):
    """One 15-minute block of one person's time taken by a booked session.

    A booked session inserts a row per attendee per block it covers; the unique
    (user_id, block_start) constraint makes a double booking impossible in the database
    itself (both SQLite and PostgreSQL), even when two bookings race past the checks.
    """

    __tablename__ = "busy_block"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    block_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    session_id: Mapped[int] = mapped_column(ForeignKey("mediation_session.id", ondelete="CASCADE"),
                                            index=True, nullable=False)

    __table_args__ = (UniqueConstraint("user_id", "block_start"),)


class SessionReminder(db.Model):
    """A reminder due before a booked session (24 h, 1 h), the sweep's work list.

    ``useful_until`` decides, after downtime, whether a late reminder is still worth
    sending (status "sent") or is only recorded ("missed"). The unique constraint per
    session, sequence, user and kind keeps a rebooking from doubling reminders.
    """

    __tablename__ = "session_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("mediation_session.id", ondelete="CASCADE"),
                                            index=True, nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # 24h | 1h
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    useful_until: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)  # pending | sent | missed | cancelled
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("session_id", "sequence", "user_id", "kind"),
                      Index("ix_session_reminder_status_due", "status", "due_at"))


class DeadlineWarning(db.Model):
    """A warning sent (or missed) before a deadline, once per deadline, due time and lead."""

    __tablename__ = "deadline_warning"

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id", ondelete="CASCADE"), nullable=False)
    lead_days: Mapped[int] = mapped_column(Integer, nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # sent | missed
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("deadline_id", "lead_days", "due_at"),)


class ExtensionRequest(TimestampMixin, db.Model):
    """The mediator asks to extend the mediation period; it applies once every party consents."""

    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadline.id", ondelete="CASCADE"), index=True,
                                             nullable=False)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True, nullable=False)
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)  # pending | applied | refused | lapsed
    consents: Mapped[list[int]] = mapped_column(JSON, default=list, nullable=False)
