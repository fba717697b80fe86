"""Evidence items: metadata here, bytes in core.storage under a random key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import User
from odr.core.model_mixins import TimestampMixin
from odr.core.types import UTCDateTime
from odr.extensions import db


class Evidence(TimestampMixin, db.Model):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(24), default="evidence", nullable=False)  # evidence | power_of_attorney | recording
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    media_type: Mapped[str] = mapped_column(String(100), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    visibility: Mapped[str] = mapped_column(String(16), default="all", nullable=False)  # all | mediator
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("mediation_session.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    withdraw_reason: Mapped[str | None] = mapped_column(Text)

    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])

    __table_args__ = (Index("ix_evidence_case_sha", "case_id", "sha256"),)
