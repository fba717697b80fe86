"""Issued documents: the PDF's hash and a short public verification code."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from odr.core.model_mixins import TimestampMixin
from odr.extensions import db


class DocumentKind:
    APPLICATION = "mediation_application"
    MINUTES = "minutes"
    AGREEMENT = "settlement_agreement"
    TERMINATION = "termination_notice"
    CONFIRMATION_APPLICATION = "confirmation_application"
    RULING = "ruling"
    ALL = (APPLICATION, MINUTES, AGREEMENT, TERMINATION, CONFIRMATION_APPLICATION, RULING)


class Document(TimestampMixin, db.Model):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    number: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    issuer: Mapped[str] = mapped_column(String(200), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    verify_code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"))
    minutes_id: Mapped[int | None] = mapped_column(ForeignKey("minutes.id"))
    confirmation_id: Mapped[int | None] = mapped_column(ForeignKey("confirmation_application.id"))
    masked_parties: Mapped[str | None] = mapped_column(String(300))
