"""The statistics rollup: one fact row per counted record and pre-summed cells.

Why two tables: the dashboards must be exact for any day range, organization subtree,
court and category, yet the platform view cannot scan a year of cases (1.2M rows) per
request. ``stats_fact`` holds what each case and each judicial-confirmation application
currently contributes (its filing day, keys and 0/1 outcome flags, the day counts behind
the medians) — narrow, indexed by organization, court and day, and it is also how a
change is undone exactly (the old fact is subtracted, the new one added).
``stats_cell`` holds those facts pre-summed for whole calendar years and months across
the platform, so the platform dashboard reads a few hundred rows plus the facts of any
partial month at the edges of the range.

Both are derived data: ``flask odr stats-rebuild`` recomputes them from the live tables.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from odr.extensions import db

#: the case outcome flags, in the order of odr.stats.definitions.OUTCOME_KEYS
OUTCOME_COLUMNS = ("received", "self_filed", "court_diversion", "api", "accepted", "rejected", "declined",
                   "in_mediation", "settled", "failed", "withdrawn", "escalated", "active", "diverted_mediated")
#: the judicial-confirmation flags
CONFIRMATION_COLUMNS = ("applied", "confirmed", "conf_rejected")
VECTOR_COLUMNS = (*OUTCOME_COLUMNS, *CONFIRMATION_COLUMNS)


class _Vector:
    """The summable columns, shared so facts and cells can be UNIONed column for column."""

    received: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    self_filed: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    court_diversion: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    api: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    accepted: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rejected: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    declined: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    in_mediation: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    settled: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    failed: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    escalated: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    active: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    diverted_mediated: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    applied: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    confirmed: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    conf_rejected: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class StatsFact(_Vector, db.Model):
    """What one case (kind ``case``) or one confirmation application (kind ``conf``)
    contributes now. ``day`` is the local (Asia/Shanghai) filing day of the case, or the
    day the application reached the court; ``days`` is filing→settlement for a case and
    filing→ruling for an application (None when not reached). For ``conf`` facts
    ``org_id`` and ``category`` are the case's and ``court_id`` is the application's."""

    __tablename__ = "stats_fact"

    kind: Mapped[str] = mapped_column(String(4), primary_key=True)
    ref_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    case_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    day: Mapped[date | None] = mapped_column(Date)
    org_id: Mapped[int | None] = mapped_column(Integer)
    mediator_id: Mapped[int | None] = mapped_column(Integer)
    court_id: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    days: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_stats_fact_kind_day", "kind", "day"),
        Index("ix_stats_fact_org_day", "org_id", "day"),
        Index("ix_stats_fact_court_day", "court_id", "day"),
    )


class StatsCell(_Vector, db.Model):
    """Platform-wide sums of facts over one calendar year (grain ``y``) or month (``m``).

    shape ``case``: per category (years and months); ``org`` / ``med``: per organization /
    mediator, all categories (years); ``conf``: confirmation flags per category;
    ``settle`` / ``ruling``: how many facts have ``days == bucket``, per category.
    Unused key columns hold 0 / '' / -1 so the unique key never contains NULL (an
    organization id 0 also stands for "no organization").
    """

    __tablename__ = "stats_cell"

    id: Mapped[int] = mapped_column(primary_key=True)
    shape: Mapped[str] = mapped_column(String(8), nullable=False)
    grain: Mapped[str] = mapped_column(String(1), nullable=False)
    period: Mapped[date] = mapped_column(Date, nullable=False)
    key_id: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    category: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    bucket: Mapped[int] = mapped_column(Integer, default=-1, nullable=False)
    n: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    __table_args__ = (
        UniqueConstraint("shape", "grain", "period", "key_id", "category", "bucket", name="uq_stats_cell_key"),
    )


CELL_KEY = ("shape", "grain", "period", "key_id", "category", "bucket")
