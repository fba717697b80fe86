"""Mediation organizations (village → town → county → city), courts and regions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.core.model_mixins import TimestampMixin
from odr.extensions import db


class OrgKind:
    PEOPLES_COMMITTEE = "peoples_committee"      # 人民调解委员会
    INDUSTRY_COMMITTEE = "industry_committee"    # 行业性专业性调解委员会
    LAWYER_STUDIO = "lawyer_studio"              # 律师调解工作室
    COURT_ANNEXED = "court_annexed"              # 特邀调解组织
    ALL = (PEOPLES_COMMITTEE, INDUSTRY_COMMITTEE, LAWYER_STUDIO, COURT_ANNEXED)


class OrgLevel:
    VILLAGE = "village"
    TOWN = "town"
    COUNTY = "county"
    CITY = "city"
    ALL = (VILLAGE, TOWN, COUNTY, CITY)


class Region(db.Model):
    """Administrative divisions (GB/T 2260 codes, 6 digits; towns 9, villages 12)."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)


class Court(TimestampMixin, db.Model):
    __tablename__ = "court"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)  # 浙0681
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    level: Mapped[str] = mapped_column(String(16), default="basic", nullable=False)
    address: Mapped[str | None] = mapped_column(String(200))


organization_court = Table(
    "organization_court",
    db.metadata,
    Column("organization_id", ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True),
    Column("court_id", ForeignKey("court.id", ondelete="CASCADE"), primary_key=True),
)


class Organization(TimestampMixin, db.Model):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    short_name: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    region_code: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list, nullable=False)
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(200))
    fees: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    #: the basic court that hears judicial-confirmation applications when no court invited
    confirmation_court_id: Mapped[int | None] = mapped_column(ForeignKey("court.id"))

    parent: Mapped[Organization | None] = relationship(remote_side=[id])
    courts: Mapped[list[Court]] = relationship(secondary=organization_court)
    confirmation_court: Mapped[Court | None] = relationship(foreign_keys=[confirmation_court_id])
