"""What each figure means, written once and shared by the live queries (odr.stats.live),
the rollup that keeps them pre-summed (odr.stats.rollup) and the dashboard queries over
that rollup (odr.stats.queries) — so the three cannot disagree on a definition.

Definitions (shown on the dashboard too):
- received: cases filed in the period that reached the organization (submitted at least once);
- settled: cases that reached a settlement (settled, agreement effective or closed);
- success rate: settled ÷ (settled + failed), i.e. of the mediations that concluded;
- guidance rate: court-diverted cases that entered mediation ÷ court-diverted cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, cast, func, literal, literal_column, or_, select

from odr.cases.models import Case, Source, Transfer
from odr.core.time import DEFAULT_TZ, UTC, now
from odr.extensions import db
from odr.organizations.models import Organization
from odr.scheduling.models import Deadline

ACTIVE = ("accepted", "in_mediation")
CONCLUDED = ("rejected", "declined", "failed", "withdrawn", "settled", "agreement_effective", "closed")


@dataclass
class Scope:
    """Whose figures: everything (``org_ids`` and ``court_id`` None), an organization
    subtree (its ids), or one court (its diverted cases and its confirmations)."""

    org_ids: list[int] | None = None
    court_id: int | None = None

    @property
    def platform(self) -> bool:
        return self.org_ids is None and self.court_id is None


@dataclass
class Filters:
    start: date | None = None
    end: date | None = None
    category: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """Local (Asia/Shanghai) calendar days → UTC instants, end exclusive."""
        lo = datetime.combine(self.start, time.min, DEFAULT_TZ).astimezone(UTC) if self.start else None
        hi = (datetime.combine(self.end + timedelta(days=1), time.min, DEFAULT_TZ).astimezone(UTC)
              if self.end else None)
        return lo, hi


def descendants(org_id: int) -> list[int]:
    """An organization and everything below it, in one recursive query (UNION, not
    UNION ALL, so even a cycle in the tree ends)."""
    tree = select(Organization.id).where(Organization.id == org_id).cte("tree", recursive=True)
    tree = tree.union(select(Organization.id).where(Organization.parent_id == tree.c.id))
    below = db.session.execute(select(tree.c.id)).scalars().all()
    return [org_id, *sorted(i for i in below if i != org_id)]


def case_where(scope: Scope, flt: Filters) -> list[ColumnElement[bool]]:
    """The live-table filter for cases in ``scope`` filed within ``flt``."""
    where: list[ColumnElement[bool]] = []
    if scope.org_ids is not None:
        where.append(Case.organization_id.in_(scope.org_ids))
    if scope.court_id is not None:
        where.append(Case.court_id == scope.court_id)
    lo, hi = flt.bounds()
    if lo is not None:
        where.append(Case.created_at >= lo)
    if hi is not None:
        where.append(Case.created_at < hi)
    if flt.category:
        where.append(Case.category == flt.category)
    return where


def _escalated() -> ColumnElement[bool]:
    return or_(Case.escalation_count > 0,
               Case.id.in_(select(Transfer.case_id).where(Transfer.kind == "escalation")))


OUTCOME_KEYS = ("received", "self_filed", "court_diversion", "api", "accepted", "rejected", "declined",
                "in_mediation", "settled", "failed", "withdrawn", "escalated", "active", "diverted_mediated")


def outcome_conditions() -> list[tuple[str, ColumnElement[bool]]]:
    """Per case: does it count towards each figure (OUTCOME_KEYS order)."""
    received = Case.submitted_at.is_not(None)
    return [
        ("received", received),
        ("self_filed", received & (Case.source == Source.SELF_FILED)),
        ("court_diversion", received & (Case.source == Source.COURT_DIVERSION)),
        ("api", received & (Case.source == Source.API)),
        ("accepted", Case.accepted_at.is_not(None)),
        ("rejected", Case.status == "rejected"),
        ("declined", Case.status == "declined"),
        ("in_mediation", Case.status == "in_mediation"),
        ("settled", Case.settled_at.is_not(None)),
        ("failed", Case.status == "failed"),
        ("withdrawn", Case.status == "withdrawn"),
        ("escalated", _escalated()),
        ("active", Case.status.in_(ACTIVE)),
        ("diverted_mediated", (Case.source == Source.COURT_DIVERSION) & Case.mediation_started_at.is_not(None)),
    ]


def ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def rates(row: dict[str, int]) -> dict[str, float]:
    return {"success_rate": ratio(row["settled"], row["settled"] + row["failed"]),
            "guidance_rate": ratio(row["diverted_mediated"], row["court_diversion"])}


def days_between(later: Any, earlier: Any) -> Any:
    """Whole days between two timestamp columns, in SQL, on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.floor(func.extract("epoch", later - earlier) / 86400)
    return func.cast(func.julianday(later) - func.julianday(earlier), db.Integer)


def local_day(column: Any) -> Any:
    """The Asia/Shanghai calendar day of a UTC timestamp column, in SQL (China has no
    daylight saving time since 1991, so SQLite's fixed +8 hours is exact)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(DEFAULT_TZ.key, column), Date)
    return func.date(column, literal("+8 hours"))


def period_start(day: Any, grain: str) -> Any:
    """First day of the calendar year (``y``) or month (``m``) of a date column, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc(literal_column("'year'" if grain == "y" else "'month'"), day), Date)
    return func.strftime(literal_column("'%Y-01-01'" if grain == "y" else "'%Y-%m-01'"), day)


def whole_days(expr: Any) -> Any:
    return cast(expr, Integer)


def median(histogram: list[tuple[Any, int]]) -> float | None:
    """The median of a {value: count} histogram (a handful of distinct day counts)."""
    values = sorted((float(v), int(n)) for v, n in histogram if v is not None)
    total = sum(n for _, n in values)
    if not total:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    seen, lower, upper = 0, None, None
    for value, n in values:
        if lower is None and seen + n > lower_rank:
            lower = value
        if seen + n > upper_rank:
            upper = value
            break
        seen += n
    return (lower + upper) / 2 if lower is not None and upper is not None else None


def overdue(scope: Scope, flt: Filters) -> int:
    """Open cases with a missed deadline: depends on the clock, so always read live
    (driven by the deadline table's (status, due) index, not by the cases)."""
    return int(db.session.execute(
        select(func.count(func.distinct(Deadline.case_id))).select_from(Deadline)
        .join(Case, Case.id == Deadline.case_id)
        .where(*case_where(scope, flt), Case.status.not_in(CONCLUDED),
               or_(Deadline.status == "expired", (Deadline.status == "open") & (Deadline.due_at < now())))
    ).scalar_one())
