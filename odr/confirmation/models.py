"""Judicial confirmation (司法确认): the joint application and the court's handling."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.core.model_mixins import TimestampMixin
from odr.core.types import UTCDateTime
from odr.extensions import db

if TYPE_CHECKING:
    from odr.agreements.models import Agreement
    from odr.cases.models import Case
    from odr.organizations.models import Court


class ConfirmationApplication(TimestampMixin, db.Model):
    __tablename__ = "confirmation_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True, nullable=False)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), nullable=False)
    court_id: Mapped[int] = mapped_column(ForeignKey("court.id"), index=True, nullable=False)
    status: Mapped[str] = mapped_column(String(24), default="pending_consent", nullable=False, index=True)
    judge_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    decision: Mapped[str | None] = mapped_column(String(16))  # confirm | reject
    grounds: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    ruling_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    ruling_year: Mapped[int | None] = mapped_column(Integer)
    ruling_seq: Mapped[int | None] = mapped_column(Integer)
    paused_days: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    #: snapshot of what was filed (C §354): agreement, mediation proof, identities,
    #: evidence list, minutes — by reference, fixed at submission
    packet: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, nullable=False)
    #: reason given when the parties withdrew (the court records it, C §357)
    withdraw_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    agreement: Mapped[Agreement] = relationship(foreign_keys=[agreement_id])
    court: Mapped[Court] = relationship(foreign_keys=[court_id])
    consents: Mapped[list[ConfirmationConsent]] = relationship(
        order_by="ConfirmationConsent.id", cascade="all, delete-orphan")
    materials_requests: Mapped[list[MaterialsRequest]] = relationship(
        order_by="MaterialsRequest.id", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("court_id", "ruling_year", "ruling_seq"),)


class ConfirmationConsent(db.Model):
    __tablename__ = "confirmation_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("confirmation_application.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_party.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (UniqueConstraint("application_id", "party_id"),)


class MaterialsRequest(TimestampMixin, db.Model):
    __tablename__ = "materials_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("confirmation_application.id"), index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: what the parties said when they supplied the materials
    response: Mapped[str | None] = mapped_column(Text)
