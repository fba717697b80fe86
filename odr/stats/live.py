"""The figures computed straight from the live tables: the reference implementation.

The dashboards read the rollup (odr.stats.queries); this module answers the same
questions from ``mediation_case`` and ``confirmation_application`` directly. It is what
the consistency tests compare the rollup against and what the benchmark reports as the
old query path; every figure is a conditional COUNT / GROUP BY and medians come from a
day-count histogram, so memory stays flat, but each call scans the filtered cases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, literal, literal_column, select

from odr.accounts.models import User
from odr.cases.models import Case, Source
from odr.confirmation.models import ConfirmationApplication
from odr.core.time import DEFAULT_TZ
from odr.extensions import db
from odr.organizations.models import Organization
from odr.stats.definitions import (
    OUTCOME_KEYS,
    Filters,
    Scope,
    case_where,
    days_between,
    median,
    outcome_conditions,
    overdue,
    rates,
)


def _outcome_columns() -> list[Any]:
    return [func.count().filter(cond).label(key) for key, cond in outcome_conditions()]


def _median_days(query: Select, days: Any) -> float | None:
    grouped = query.with_only_columns(days.label("d"), func.count()).group_by(days)
    return median([(d, n) for d, n in db.session.execute(grouped).all()])


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
    where = case_where(scope, flt)
    row = db.session.execute(select(*_outcome_columns()).select_from(Case).where(*where)).one()
    counts = dict(zip(OUTCOME_KEYS, (int(v or 0) for v in row), strict=True))
    conf = db.session.execute(_confirmations(scope, flt).with_only_columns(
        func.count(),
        func.count().filter(ConfirmationApplication.status == "confirmed"),
        func.count().filter(ConfirmationApplication.status == "rejected"))).one()
    settled_q = select(Case).where(*where, Case.settled_at.is_not(None), Case.submitted_at.is_not(None))
    ruling_q = _confirmations(scope, flt, join_case=True).where(
        ConfirmationApplication.decided_at.is_not(None), Case.submitted_at.is_not(None))
    return {
        "received": counts["received"],
        "by_source": {k: counts[k] for k in Source.ALL},
        **{k: counts[k] for k in ("accepted", "rejected", "declined", "in_mediation", "settled",
                                  "failed", "escalated", "withdrawn")},
        **rates(counts),
        "diverted_mediated": counts["diverted_mediated"],
        "confirmations": {"applied": int(conf[0]), "confirmed": int(conf[1]), "rejected": int(conf[2])},
        "median_days_to_settlement": _median_days(settled_q, days_between(Case.settled_at, Case.submitted_at)),
        "median_days_to_ruling": _median_days(ruling_q, days_between(ConfirmationApplication.decided_at,
                                                                      Case.submitted_at)),
        "overdue": overdue(scope, flt),
    }


def _grouped(scope: Scope, flt: Filters, key: Any, *, order: tuple[str, ...] = (),
             limit: int | None = None) -> list[dict[str, Any]]:
    q = (select(key.label("key"), *_outcome_columns()).select_from(Case)
         .where(*case_where(scope, flt), key.is_not(None)).group_by(key))
    if limit is not None:
        q = q.order_by(*(literal_column(name).desc() for name in order), key).limit(limit)
    out = []
    for row in db.session.execute(q).all():
        counts = dict(zip(OUTCOME_KEYS, (int(v or 0) for v in row[1:]), strict=True))
        out.append({"key": row[0], **counts, **rates(counts)})
    return out


def by_category(scope: Scope, flt: Filters) -> list[dict[str, Any]]:
    return sorted(_grouped(scope, flt, Case.category), key=lambda r: (-r["received"], str(r["key"])))


def _named(rows: list[dict[str, Any]], model: Any, column: Any) -> None:
    names = dict(db.session.execute(select(model.id, column).where(
        model.id.in_([r["key"] for r in rows]))).all()) if rows else {}
    for r in rows:
        r["name"] = names.get(r["key"], str(r["key"]))


def by_organization(scope: Scope, flt: Filters, limit: int | None = None) -> list[dict[str, Any]]:
    rows = _grouped(scope, flt, Case.organization_id, order=("received",), limit=limit)
    _named(rows, Organization, Organization.name)
    return sorted(rows, key=lambda r: (-r["received"], r["name"]))


def by_mediator(scope: Scope, flt: Filters, limit: int | None = None) -> list[dict[str, Any]]:
    rows = _grouped(scope, flt, Case.mediator_id, order=("active", "settled"), limit=limit)
    _named(rows, User, User.display_name)
    return sorted(rows, key=lambda r: (-r["active"], -r["settled"], r["name"]))


def _month() -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("month", func.timezone(DEFAULT_TZ.key, Case.created_at))
    return func.strftime("%Y-%m", Case.created_at, literal("+8 hours"))


def month_label(value: Any) -> str:
    return value.strftime("%Y-%m") if hasattr(value, "strftime") else str(value)[:7]


def trend(scope: Scope, flt: Filters) -> list[dict[str, Any]]:
    month = _month()
    q = (select(month.label("month"), func.count().filter(Case.submitted_at.is_not(None)),
                func.count().filter(Case.settled_at.is_not(None)),
                func.count().filter(Case.status == "failed"))
         .select_from(Case).where(*case_where(scope, flt)).group_by(month).order_by(month))
    return [{"month": month_label(m), "received": int(r or 0), "settled": int(s or 0), "failed": int(f or 0)}
            for m, r, s, f in db.session.execute(q).all()]


def dashboard(scope: Scope, flt: Filters, top: int = 50) -> dict[str, Any]:
    return {"summary": summary(scope, flt), "categories": by_category(scope, flt),
            "organizations": by_organization(scope, flt, top), "mediators": by_mediator(scope, flt, top),
            "trend": trend(scope, flt)}
