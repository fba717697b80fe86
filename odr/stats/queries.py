"""The figures behind the dashboards and GET /api/v1/stats, as SQL aggregates.

Every figure is one conditional COUNT/GROUP BY over indexed columns (organization_id,
court_id, category, status, created_at), so the work stays in the database at a million
cases. Medians come from a GROUP BY on the whole number of days (a small histogram),
never from the rows themselves.

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

from sqlalchemy import ColumnElement, Select, func, literal, literal_column, or_, select

from odr.accounts.models import User
from odr.cases.models import Case, Source, Transfer
from odr.confirmation.models import ConfirmationApplication
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
    """An organization and everything below it (one query per level; levels are few)."""
    ids, frontier = [org_id], [org_id]
    while frontier:
        frontier = list(db.session.execute(
            select(Organization.id).where(Organization.parent_id.in_(frontier))).scalars())
        frontier = [i for i in frontier if i not in ids]
        ids.extend(frontier)
    return ids


def _case_where(scope: Scope, flt: Filters) -> list[ColumnElement[bool]]:
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


def _outcome_columns() -> list[Any]:
    """The per-group outcome counts shared by the totals and every breakdown."""
    received = Case.submitted_at.is_not(None)
    return [
        func.count().filter(received).label("received"),
        func.count().filter(received, Case.source == Source.SELF_FILED).label("self_filed"),
        func.count().filter(received, Case.source == Source.COURT_DIVERSION).label("court_diversion"),
        func.count().filter(received, Case.source == Source.API).label("api"),
        func.count().filter(Case.accepted_at.is_not(None)).label("accepted"),
        func.count().filter(Case.status == "rejected").label("rejected"),
        func.count().filter(Case.status == "declined").label("declined"),
        func.count().filter(Case.status == "in_mediation").label("in_mediation"),
        func.count().filter(Case.settled_at.is_not(None)).label("settled"),
        func.count().filter(Case.status == "failed").label("failed"),
        func.count().filter(Case.status == "withdrawn").label("withdrawn"),
        func.count().filter(_escalated()).label("escalated"),
        func.count().filter(Case.status.in_(ACTIVE)).label("active"),
        func.count().filter(Case.source == Source.COURT_DIVERSION,
                            Case.mediation_started_at.is_not(None)).label("diverted_mediated"),
    ]


OUTCOME_KEYS = ("received", "self_filed", "court_diversion", "api", "accepted", "rejected", "declined",
                "in_mediation", "settled", "failed", "withdrawn", "escalated", "active", "diverted_mediated")


def ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _rates(row: dict[str, int]) -> dict[str, float]:
    return {"success_rate": ratio(row["settled"], row["settled"] + row["failed"]),
            "guidance_rate": ratio(row["diverted_mediated"], row["court_diversion"])}


def _days(later: Any, earlier: Any) -> Any:
    """Whole days between two timestamp columns, in SQL, on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.floor(func.extract("epoch", later - earlier) / 86400)
    return func.cast(func.julianday(later) - func.julianday(earlier), db.Integer)


def _median(histogram: list[tuple[Any, int]]) -> float | None:
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


def _median_days(query: Select, days: Any) -> float | None:
    grouped = query.with_only_columns(days.label("d"), func.count()).group_by(days)
    return _median([(d, n) for d, n in db.session.execute(grouped).all()])


def _confirmations(scope: Scope, flt: Filters, join_case: bool = False) -> Select:
    q = select(ConfirmationApplication).where(ConfirmationApplication.status != "pending_consent")
    if join_case or scope.org_ids is not None or bool(flt.category):
        q = q.join(Case, Case.id == ConfirmationApplication.case_id)
        if scope.org_ids is not None:
            q = q.where(Case.organization_id.in_(scope.org_ids))
        if flt.category:
            q = q.where(Case.category == flt.category)
    if scope.court_id is not None:
        q = q.where(ConfirmationApplication.court_id == scope.court_id)
    lo, hi = flt.bounds()
    if lo is not None:
        q = q.where(ConfirmationApplication.submitted_at >= lo)
    if hi is not None:
        q = q.where(ConfirmationApplication.submitted_at < hi)
    return q


def summary(scope: Scope, flt: Filters) -> dict[str, Any]:
    """The totals: GET /api/v1/stats and the dashboard's headline figures."""
    where = _case_where(scope, flt)
    row = db.session.execute(select(*_outcome_columns()).select_from(Case).where(*where)).one()
    counts = dict(zip(OUTCOME_KEYS, (int(v or 0) for v in row), strict=True))
    conf_q = _confirmations(scope, flt)
    conf = db.session.execute(conf_q.with_only_columns(
        func.count(),
        func.count().filter(ConfirmationApplication.status == "confirmed"),
        func.count().filter(ConfirmationApplication.status == "rejected"))).one()
    settled_q = select(Case).where(*where, Case.settled_at.is_not(None), Case.submitted_at.is_not(None))
    ruling_q = _confirmations(scope, flt, join_case=True).where(
        ConfirmationApplication.decided_at.is_not(None), Case.submitted_at.is_not(None))
    overdue = db.session.execute(
        select(func.count(func.distinct(Deadline.case_id))).select_from(Deadline)
        .join(Case, Case.id == Deadline.case_id)
        .where(*where, Case.status.not_in(CONCLUDED),
               or_(Deadline.status == "expired", (Deadline.status == "open") & (Deadline.due_at < now())))
    ).scalar_one()
    return {
        "received": counts["received"],
        "by_source": {k: counts[k] for k in Source.ALL},
        **{k: counts[k] for k in ("accepted", "rejected", "declined", "in_mediation", "settled",
                                  "failed", "escalated", "withdrawn")},
        **_rates(counts),
        "diverted_mediated": counts["diverted_mediated"],
        "confirmations": {"applied": int(conf[0]), "confirmed": int(conf[1]), "rejected": int(conf[2])},
        "median_days_to_settlement": _median_days(settled_q, _days(Case.settled_at, Case.submitted_at)),
        "median_days_to_ruling": _median_days(ruling_q, _days(ConfirmationApplication.decided_at,
                                                               Case.submitted_at)),
        "overdue": int(overdue),
    }


def _grouped(scope: Scope, flt: Filters, key: Any, *, order: tuple[str, ...] = (),
             limit: int | None = None) -> list[dict[str, Any]]:
    """Outcome counts per ``key``; with ``limit``, only the top rows by ``order`` (in SQL)."""
    q = (select(key.label("key"), *_outcome_columns()).select_from(Case)
         .where(*_case_where(scope, flt), key.is_not(None)).group_by(key))
    if limit is not None:
        q = q.order_by(*(literal_column(name).desc() for name in order)).limit(limit)
    out = []
    for row in db.session.execute(q).all():
        counts = dict(zip(OUTCOME_KEYS, (int(v or 0) for v in row[1:]), strict=True))
        out.append({"key": row[0], **counts, **_rates(counts)})
    return out


def by_category(scope: Scope, flt: Filters) -> list[dict[str, Any]]:
    return sorted(_grouped(scope, flt, Case.category), key=lambda r: (-r["received"], str(r["key"])))


def by_organization(scope: Scope, flt: Filters, limit: int | None = None) -> list[dict[str, Any]]:
    rows = _grouped(scope, flt, Case.organization_id, order=("received",), limit=limit)
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_([r["key"] for r in rows]))).all()) if rows else {}
    for r in rows:
        r["name"] = names.get(r["key"], str(r["key"]))
    return sorted(rows, key=lambda r: (-r["received"], r["name"]))


def by_mediator(scope: Scope, flt: Filters, limit: int | None = None) -> list[dict[str, Any]]:
    rows = _grouped(scope, flt, Case.mediator_id, order=("active", "settled"), limit=limit)
    names = dict(db.session.execute(select(User.id, User.display_name).where(
        User.id.in_([r["key"] for r in rows]))).all()) if rows else {}
    for r in rows:
        r["name"] = names.get(r["key"], str(r["key"]))
    return sorted(rows, key=lambda r: (-r["active"], -r["settled"], r["name"]))


def _month() -> Any:
    """The filing month in China time, in SQL (grouped on date_trunc: cheap per row)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("month", func.timezone(DEFAULT_TZ.key, Case.created_at))
    return func.strftime("%Y-%m", Case.created_at, literal("+8 hours"))


def _month_label(value: Any) -> str:
    return value.strftime("%Y-%m") if hasattr(value, "strftime") else str(value)


def trend(scope: Scope, flt: Filters) -> list[dict[str, Any]]:
    month = _month()
    q = (select(month.label("month"), func.count().filter(Case.submitted_at.is_not(None)),
                func.count().filter(Case.settled_at.is_not(None)),
                func.count().filter(Case.status == "failed"))
         .select_from(Case).where(*_case_where(scope, flt)).group_by(month).order_by(month))
    return [{"month": _month_label(m), "received": int(r or 0), "settled": int(s or 0), "failed": int(f or 0)}
            for m, r, s, f in db.session.execute(q).all()]


def dashboard(scope: Scope, flt: Filters, top: int = 50) -> dict[str, Any]:
    """Everything the dashboard shows; the organization and mediator tables list the
    ``top`` rows (the CSV exports list every row)."""
    return {"summary": summary(scope, flt), "categories": by_category(scope, flt),
            "organizations": by_organization(scope, flt, top), "mediators": by_mediator(scope, flt, top),
            "trend": trend(scope, flt)}


__all__ = ["Filters", "Scope", "by_category", "by_mediator", "by_organization", "dashboard",
           "descendants", "ratio", "summary", "trend"]
