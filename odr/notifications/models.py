"""In-app inbox, the outbox every channel sends through, and delivery records (送达)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from odr.core.model_mixins import TimestampMixin
from odr.core.types import UTCDateTime
from odr.extensions import db


class Notification(TimestampMixin, db.Model):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_case.id"))
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    link: Mapped[str | None] = mapped_column(String(300))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the logical message this row belongs to: the same key is stored once, so a retried
    #: job or a second scheduler never puts the same notice in an inbox twice
    key: Mapped[str | None] = mapped_column(String(200), unique=True)

    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)


class OutboxMessage(TimestampMixin, db.Model):
    """A message to send over one channel. ``key`` is unique: the same logical message
    (e.g. "reminder-24h:session:5:user:7") can be enqueued any number of times and is
    stored, and so sent, once."""

    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # email | sms | webhook
    recipient: Mapped[str] = mapped_column(String(500), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    body: Mapped[str] = mapped_column(Text, default="", nullable=False)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)  # pending | sent | failed | missed
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    response: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)


class Delivery(TimestampMixin, db.Model):
    """Electronic service of a legal step to one person: what, to whom, how, when opened."""

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True, nullable=False)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    recipient_name: Mapped[str] = mapped_column(String(120), nullable=False)
    what: Mapped[str] = mapped_column(String(200), nullable=False)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"), index=True)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
