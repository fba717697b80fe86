"""A mediation case: its parties, agents, claims, invitations, transfers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import User
from odr.core.model_mixins import TimestampMixin
from odr.core.types import UTCDateTime
from odr.extensions import db

if TYPE_CHECKING:
    from odr.organizations.models import Court, Organization


class Category:
    """Dispute categories (issue: intake wizard)."""

    ALL = ("family", "neighbour", "property", "contract", "damages", "labour", "medical",
           "consumer", "traffic", "property_management", "land_contract", "other")


class Source:
    SELF_FILED = "self_filed"
    COURT_DIVERSION = "court_diversion"
    API = "api"
    ALL = (SELF_FILED, COURT_DIVERSION, API)


class Case(TimestampMixin, db.Model):
    __tablename__ = "mediation_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(64), unique=True)
    number_year: Mapped[int | None] = mapped_column(Integer)
    number_seq: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), default="draft", nullable=False, index=True)
    category: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    facts: Mapped[str] = mapped_column(Text, default="", nullable=False)
    points_in_dispute: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(24), default=Source.SELF_FILED, nullable=False)
    region_code: Mapped[str | None] = mapped_column(String(12), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    preferred_mediator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("court.id"), index=True)
    court_case_number: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mediation_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mediator_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(Text)
    escalation_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization | None] = relationship(foreign_keys=[organization_id])
    court: Mapped[Court | None] = relationship(foreign_keys=[court_id])
    mediator: Mapped[User | None] = relationship(foreign_keys=[mediator_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    parties: Mapped[list[CaseParty]] = relationship(
        back_populates="case", order_by="CaseParty.id", cascade="all, delete-orphan")
    claims: Mapped[list[Claim]] = relationship(
        back_populates="case", order_by="Claim.id", cascade="all, delete-orphan")
    agents: Mapped[list[Agent]] = relationship(
        back_populates="case", order_by="Agent.id", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("organization_id", "number_year", "number_seq"),
        Index("ix_case_org_status_created", "organization_id", "status", "created_at"),
        Index("ix_case_court_source_created", "court_id", "source", "created_at"),
    )

    def applicants(self) -> list[CaseParty]:
        return [p for p in self.parties if p.side == "applicant"]

    def respondents(self) -> list[CaseParty]:
        return [p for p in self.parties if p.side == "respondent"]


class CaseParty(db.Model):
    """One side's natural person or organization, linked to an account once claimed."""

    __tablename__ = "case_party"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(16), nullable=False)  # applicant | respondent
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="person")
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    id_number: Mapped[str | None] = mapped_column(String(18))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    consent: Mapped[str] = mapped_column(String(16), default="pending", nullable=False)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    statement: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="parties")
    user: Mapped[User | None] = relationship()


class Agent(db.Model):
    """An agent (代理人) acting for a party, with the power of attorney as evidence."""

    __tablename__ = "case_agent"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_party.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    power_of_attorney_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))

    case: Mapped[Case] = relationship(back_populates="agents")
    party: Mapped[CaseParty] = relationship()


class Claim(db.Model):
    __tablename__ = "claim"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))

    case: Mapped[Case] = relationship(back_populates="claims")


class Invitation(TimestampMixin, db.Model):
    """A respondent's invitation link: single use, expiring; only its hash is stored."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True, nullable=False)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_party.id"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class Transfer(TimestampMixin, db.Model):
    """A move of a case between organizations: transfer at intake or escalation upward."""

    __tablename__ = "case_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_case.id"), index=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # transfer | escalation | litigation
    from_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    to_organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
