"""Settlement agreements: versions, structured terms, comments and e-signatures."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.core.model_mixins import TimestampMixin
from odr.core.time import now
from odr.core.types import UTCDateTime
from odr.extensions import db


class Agreement(TimestampMixin, db.Model):
    """One version of a case's agreement. A version with any signature is immutable."""

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default="draft", nullable=False)  # draft | effective | superseded
    number: Mapped[str | None] = mapped_column(String(64), unique=True)
    facts: Mapped[str] = mapped_column(Text, default="", nullable=False)
    points_in_dispute: Mapped[str | None] = mapped_column(Text)
    responsibilities: Mapped[str | None] = mapped_column(Text)
    other_terms: Mapped[str | None] = mapped_column(Text)
    #: how and by when the terms are performed, supervision (人民调解法 §29)
    performance: Mapped[str | None] = mapped_column(Text)
    copies: Mapped[int] = mapped_column(Integer, nullable=False, default=3)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    terms: Mapped[list[AgreementTerm]] = relationship(
        order_by="AgreementTerm.position", cascade="all, delete-orphan")
    signatures: Mapped[list[Signature]] = relationship(
        order_by="Signature.signed_at", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("case_id", "version"),)


class AgreementTerm(db.Model):
    __tablename__ = "agreement_term"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    obligor: Mapped[str] = mapped_column(String(120), nullable=False)
    obligee: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, nullable=False)
    amount: Mapped[object | None] = mapped_column(Numeric(14, 2))
    due_date: Mapped[date | None] = mapped_column(Date)
    method: Mapped[str | None] = mapped_column(String(32))  # lump_sum | instalments | act
    performed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Signature(db.Model):
    __tablename__ = "signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)  # party | agent | mediator | seal
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_party.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    image_key: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("agreement_id", "user_id", "role"),)


class AgreementComment(TimestampMixin, db.Model):
    __tablename__ = "agreement_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)


class SigningCode(db.Model):
    """A one-time signing code (``ODR_SIGNING_CODE_CHANNELS``), see odr.agreements.codes.

    Only a keyed hash of the code is kept, bound to the signer, the agreement version and
    its content hash. ``outcome`` is None while the code can still be used, then one of
    ``used``, ``locked`` (too many wrong tries), ``expired``, ``replaced`` (a newer code
    was sent) or ``undelivered`` (no channel took it).
    """

    __tablename__ = "agreement_signing_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    salt: Mapped[str] = mapped_column(String(32), nullable=False)
    channels: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    outcome: Mapped[str | None] = mapped_column(String(16))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_agreement_signing_code_signer", "agreement_id", "user_id"),)
