"""The figures behind the dashboards and GET /api/v1/stats, read from the rollup.

Scoped views (an organization subtree, a court) sum that scope's facts — one narrow,
indexed row per case or application, so a county is a few thousand rows. The platform
view sums pre-summed cells for the whole calendar years and months inside the date
range and the facts of the partial months at its edges. Both give exactly what
odr.stats.live computes from the live tables (tests/stats/test_rollup_consistency.py);
a database without the rollup tables is answered by odr.stats.live.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, false, func, literal, or_, select, text, union_all

from odr.accounts.models import User
from odr.cases.models import Source
from odr.extensions import db
from odr.organizations.models import Organization
from odr.stats import live
from odr.stats.definitions import (
    OUTCOME_KEYS,
    Filters,
    Scope,
    descendants,
    median,
    overdue,
    period_start,
    rates,
    ratio,
)
from odr.stats.models import CONFIRMATION_COLUMNS, OUTCOME_COLUMNS, StatsCell, StatsFact
from odr.stats.rollup import SHAPES, rollup_available

Fact, Cell = StatsFact.__table__.c, StatsCell.__table__.c


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def split(start: date, end: date, grains: tuple[str, ...]) -> tuple[list[date], list[date], list[tuple[date, date]]]:
    """[start, end] as whole calendar years, whole months and the remaining day spans."""
    years: list[date] = []
    months: list[date] = []
    spans: list[tuple[date, date]] = []
    cur = start
    while cur <= end:
        if "y" in grains and (cur.month, cur.day) == (1, 1) and date(cur.year, 12, 31) <= end:
            years.append(cur)
            cur = date(cur.year + 1, 1, 1)
        elif "m" in grains and cur.day == 1 and _month_end(cur) <= end:
            months.append(cur)
            cur = _month_end(cur) + timedelta(days=1)
        else:
            stop = min(end, _month_end(cur))
            if spans and spans[-1][1] + timedelta(days=1) == cur:
                spans[-1] = (spans[-1][0], stop)
            else:
                spans.append((cur, stop))
            cur = stop + timedelta(days=1)
    return years, months, spans


def _fact_scope(kind: str, scope: Scope, flt: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Fact.kind == kind]
    if scope.org_ids is not None:
        where.append(Fact.org_id.in_(scope.org_ids))
    if scope.court_id is not None:
        where.append(Fact.court_id == scope.court_id)
    if flt.category:
        where.append(Fact.category == flt.category)
    return where


def _rows(shape: str, scope: Scope, flt: Filters, key: str | None, columns: tuple[str, ...]) -> Any:
    """A subquery of (key, *columns, n) rows whose sums are the figures: cells for whole
    periods on the platform view, facts for everything else."""
    kind, grains, key_column, keeps_category, histogram = SHAPES[shape]
    where = _fact_scope(kind, scope, flt)
    if histogram:
        where.append(Fact.days.is_not(None))
    fact_key = {None: literal(0), "category": Fact.category, "month": period_start(Fact.day, "m"),
                "bucket": Fact.days, "org_id": Fact.org_id, "mediator_id": Fact.mediator_id}[key]
    fact_cols = [fact_key.label("key"), *(Fact[c].label(c) for c in columns), literal(1).label("n")]
    start, end = flt.start, flt.end
    use_cells = scope.platform and (keeps_category or not flt.category)
    if use_cells and (start is None or end is None):
        lo, hi = db.session.execute(select(func.min(Fact.day), func.max(Fact.day)).where(Fact.kind == kind)).one()
        start, end = start or lo, end or hi
    if not use_cells or start is None or end is None:
        if flt.start:
            where.append(Fact.day >= flt.start)
        if flt.end:
            where.append(Fact.day <= flt.end)
        return select(*fact_cols).where(*where).subquery()
    years, months, spans = split(start, end, grains if key != "month" else ("m",))
    day_ranges: list[ColumnElement[bool]] = [Fact.day.between(a, b) for a, b in spans]
    if flt.start is None and flt.end is None:
        day_ranges.append(Fact.day.is_(None))
    cell_key = {None: literal(0), "category": Cell.category, "month": Cell.period, "bucket": Cell.bucket,
                "org_id": Cell.key_id, "mediator_id": Cell.key_id}[key]
    periods = [and_(Cell.grain == g, Cell.period.in_(p)) for g, p in (("y", years), ("m", months)) if p]
    cell_where = [Cell.shape == shape, or_(*periods) if periods else false()]
    if flt.category:
        cell_where.append(Cell.category == flt.category)
    cells = select(cell_key.label("key"), *(Cell[c].label(c) for c in columns), Cell.n.label("n")).where(*cell_where)
    facts = select(*fact_cols).where(*where, or_(*day_ranges) if day_ranges else false())
    return union_all(cells, facts).subquery()


def _sums(sub: Any, columns: tuple[str, ...]) -> list[Any]:
    return [func.coalesce(func.sum(sub.c[c]), 0).label(c) for c in columns]


def _counts(row: Any) -> dict[str, int]:
    return dict(zip(OUTCOME_KEYS, (int(row[c] or 0) for c in OUTCOME_COLUMNS), strict=True))


def _median_days(shape: str, scope: Scope, flt: Filters) -> float | None:
    sub = _rows(shape, scope, flt, "bucket", ())
    q = select(sub.c.key, func.sum(sub.c.n)).group_by(sub.c.key)
    return median([(d, n) for d, n in db.session.execute(q).all()])


def summary(scope: Scope, flt: Filters) -> dict[str, Any]:
    """The totals: GET /api/v1/stats and the dashboard's headline figures."""
    if not rollup_available(db.session):
        return live.summary(scope, flt)
    sub = _rows("case", scope, flt, None, OUTCOME_COLUMNS)
    counts = _counts(db.session.execute(select(*_sums(sub, OUTCOME_COLUMNS))).one()._mapping)
    csub = _rows("conf", scope, flt, None, CONFIRMATION_COLUMNS)
    conf = db.session.execute(select(*_sums(csub, CONFIRMATION_COLUMNS))).one()
    return {
        "received": counts["received"],
        "by_source": {k: counts[k] for k in Source.ALL},
        **{k: counts[k] for k in ("accepted", "rejected", "declined", "in_mediation", "settled",
                                  "failed", "escalated", "withdrawn")},
        **rates(counts),
        "diverted_mediated": counts["diverted_mediated"],
        "confirmations": {"applied": int(conf[0]), "confirmed": int(conf[1]), "rejected": int(conf[2])},
        "median_days_to_settlement": _median_days("settle", scope, flt),
        "median_days_to_ruling": _median_days("ruling", scope, flt),
        "overdue": overdue(scope, flt),
    }


def _grouped(shape: str, scope: Scope, flt: Filters, key: str, *, order: tuple[str, ...] = (),
             limit: int | None = None) -> list[dict[str, Any]]:
    """Outcome counts per ``key`` (groups with at least one case); with ``limit``, only
    the top rows by ``order``, then the key (ties broken the same way every time)."""
    sub = _rows(shape, scope, flt, key, OUTCOME_COLUMNS)
    sums = _sums(sub, OUTCOME_COLUMNS)
    q = (select(sub.c.key, *sums).where(sub.c.key.is_not(None), sub.c.key != (0 if key != "category" else ""))
         .group_by(sub.c.key).having(func.sum(sub.c.n) > 0))
    if limit is not None:
        q = q.order_by(*(func.sum(sub.c[name]).desc() for name in order), sub.c.key).limit(limit)
    out = []
    for row in db.session.execute(q).all():
        counts = _counts(row._mapping)
        out.append({"key": row[0], **counts, **rates(counts)})
    return out


def by_category(scope: Scope, flt: Filters) -> list[dict[str, Any]]:
    if not rollup_available(db.session):
        return live.by_category(scope, flt)
    return sorted(_grouped("case", scope, flt, "category"), key=lambda r: (-r["received"], str(r["key"])))


def by_organization(scope: Scope, flt: Filters, limit: int | None = None) -> list[dict[str, Any]]:
    if not rollup_available(db.session):
        return live.by_organization(scope, flt, limit)
    rows = _grouped("org", scope, flt, "org_id", order=("received",), limit=limit)
    live._named(rows, Organization, Organization.name)
    return sorted(rows, key=lambda r: (-r["received"], r["name"]))


def by_mediator(scope: Scope, flt: Filters, limit: int | None = None) -> list[dict[str, Any]]:
    if not rollup_available(db.session):
        return live.by_mediator(scope, flt, limit)
    rows = _grouped("med", scope, flt, "mediator_id", order=("active", "settled"), limit=limit)
    live._named(rows, User, User.display_name)
    return sorted(rows, key=lambda r: (-r["active"], -r["settled"], r["name"]))


def trend(scope: Scope, flt: Filters) -> list[dict[str, Any]]:
    if not rollup_available(db.session):
        return live.trend(scope, flt)
    columns = ("received", "settled", "failed")
    sub = _rows("case", scope, flt, "month", columns)
    q = (select(sub.c.key, *_sums(sub, columns)).group_by(sub.c.key)
         .having(func.sum(sub.c.n) > 0).order_by(sub.c.key))
    return [{"month": live.month_label(m), "received": int(r), "settled": int(s), "failed": int(f)}
            for m, r, s, f in db.session.execute(q).all()]


def _scoped_rows(scope: Scope, flt: Filters, top: int) -> dict[str, list[Any]]:
    """Every table of a scoped dashboard from that scope's facts in one statement: a
    UNION ALL of GROUP BYs over the case facts (category — the totals are its sum —,
    top organizations, top mediators, month, settlement days) and over the application
    facts (total, ruling days). A county is ~13k facts: the cost is round trips and rows
    sent back, so there is one of the first and few of the second."""
    def bounded(kind: str) -> list[ColumnElement[bool]]:
        where = _fact_scope(kind, scope, flt)
        if flt.start:
            where.append(Fact.day >= flt.start)
        if flt.end:
            where.append(Fact.day <= flt.end)
        return where

    def part(tag: str, kind: str, key: Any, columns: tuple[str, ...], *extra: ColumnElement[bool],
             order: tuple[str, ...] = ()) -> Any:
        sums = [func.sum(Fact[c]).label(c) if c in columns else literal(0).label(c) for c in _ALL]
        q = select(literal(tag).label("tag"), cast(key, String).label("key"), *sums, func.count().label("n"))
        q = q.where(*bounded(kind), *extra)
        q = q if key is None else q.group_by(key)
        if order:  # only the top rows leave the database (a county has thousands of mediators)
            q = select(q.order_by(*(func.sum(Fact[c]).desc() for c in order), key).limit(top).subquery())
        return q

    cases = union_all(
        part("category", "case", Fact.category, OUTCOME_COLUMNS),
        part("org", "case", Fact.org_id, OUTCOME_COLUMNS, Fact.org_id.is_not(None), order=("received",)),
        part("med", "case", Fact.mediator_id, OUTCOME_COLUMNS, Fact.mediator_id.is_not(None),
             order=("active", "settled")),
        part("month", "case", period_start(Fact.day, "m"), ("received", "settled", "failed")),
        part("settle", "case", Fact.days, (), Fact.days.is_not(None)),
        part("conf", "conf", None, CONFIRMATION_COLUMNS),
        part("ruling", "conf", Fact.days, (), Fact.days.is_not(None)))
    if db.session.get_bind().dialect.name == "postgresql":
        # seven small aggregates add up past jit_above_cost; compiling them to machine
        # code takes longer (~100 ms) than running them (~30 ms). Transaction-local.
        db.session.execute(text("SET LOCAL jit = off"))
    out: dict[str, list[Any]] = {}
    for row in db.session.execute(cases).mappings():
        out.setdefault(row["tag"], []).append(row)
    return out


_ALL = (*OUTCOME_COLUMNS, *CONFIRMATION_COLUMNS)


def _scoped_dashboard(scope: Scope, flt: Filters, top: int) -> dict[str, Any]:
    rows = _scoped_rows(scope, flt, top)
    by_cat = rows.get("category", [])
    counts = {k: sum(int(r[c] or 0) for r in by_cat) for k, c in zip(OUTCOME_KEYS, OUTCOME_COLUMNS, strict=True)}
    conf = rows["conf"][0]
    s = {"received": counts["received"], "by_source": {k: counts[k] for k in Source.ALL},
         **{k: counts[k] for k in ("accepted", "rejected", "declined", "in_mediation", "settled",
                                   "failed", "escalated", "withdrawn")},
         **rates(counts), "diverted_mediated": counts["diverted_mediated"],
         "confirmations": {"applied": int(conf["applied"] or 0), "confirmed": int(conf["confirmed"] or 0),
                           "rejected": int(conf["conf_rejected"] or 0)},
         "median_days_to_settlement": median([(int(r["key"]), r["n"]) for r in rows.get("settle", [])]),
         "median_days_to_ruling": median([(int(r["key"]), r["n"]) for r in rows.get("ruling", [])]),
         "overdue": overdue(scope, flt)}

    def table(tag: str, key: Any) -> list[dict[str, Any]]:
        found = [r for r in rows.get(tag, []) if r["n"] and r["key"] is not None]
        return [{"key": key(r["key"]), **(c := _counts(r)), **rates(c)} for r in found]

    categories = sorted(table("category", str), key=lambda r: (-r["received"], str(r["key"])))
    orgs = sorted(table("org", int), key=lambda r: (-r["received"], r["key"]))[:top]
    live._named(orgs, Organization, Organization.name)
    meds = sorted(table("med", int), key=lambda r: (-r["active"], -r["settled"], r["key"]))[:top]
    live._named(meds, User, User.display_name)
    months = sorted(rows.get("month", []), key=lambda r: str(r["key"]))
    return {"summary": s, "categories": categories,
            "organizations": sorted(orgs, key=lambda r: (-r["received"], r["name"])),
            "mediators": sorted(meds, key=lambda r: (-r["active"], -r["settled"], r["name"])),
            "trend": [{"month": str(r["key"])[:7], "received": int(r["received"]), "settled": int(r["settled"]),
                       "failed": int(r["failed"])} for r in months if r["n"]]}


def dashboard(scope: Scope, flt: Filters, top: int = 50) -> dict[str, Any]:
    """Everything the dashboard shows; the organization and mediator tables list the
    ``top`` rows (the CSV exports list every row)."""
    if not scope.platform and rollup_available(db.session):
        return _scoped_dashboard(scope, flt, top)
    return {"summary": summary(scope, flt), "categories": by_category(scope, flt),
            "organizations": by_organization(scope, flt, top), "mediators": by_mediator(scope, flt, top),
            "trend": trend(scope, flt)}


__all__ = ["Filters", "Scope", "by_category", "by_mediator", "by_organization", "dashboard",
           "descendants", "ratio", "split", "summary", "trend"]
