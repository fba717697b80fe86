"""Keeps the statistics rollup (odr.stats.models) equal to the live tables.

How it stays exact: every flush that touches a case, a transfer or a confirmation
application records the case id in the session; just before that transaction commits,
``sync`` recomputes those cases' facts from the live rows (with the same per-row
definitions the live queries use, odr.stats.definitions), subtracts each old fact's
contribution from the cells, adds the new one, and replaces the facts — inside the
same transaction, so a rollback undoes both and no reader ever sees one without the
other. Recomputing instead of interpreting each change means a transition, an
escalation, a transfer, a reassignment, a ruling or an edit made by hand are all
handled alike, and syncing a case twice is harmless.

Bulk statements through the session (``session.execute(insert(Case), rows)``) are
caught too: inserts sync every case that has no fact yet, bulk updates and deletes of
those tables rebuild the rollup. Raw SQL outside the session is not seen: run
``flask odr stats-rebuild`` after it (the demo seeders do).

Cell upserts are sorted by key, so concurrent transactions lock cells in the same order
and cannot deadlock on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from itertools import chain
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    and_,
    case,
    delete,
    event,
    exists,
    func,
    insert,
    inspect,
    literal,
    literal_column,
    null,
    select,
    type_coerce,
)
from sqlalchemy.orm import ORMExecuteState, Session

from odr.cases.models import Case, Transfer
from odr.confirmation.models import ConfirmationApplication
from odr.stats.definitions import days_between, local_day, outcome_conditions, period_start, whole_days
from odr.stats.models import CELL_KEY, CONFIRMATION_COLUMNS, OUTCOME_COLUMNS, VECTOR_COLUMNS, StatsCell, StatsFact

_DIRTY, _BULK = "odr_stats_dirty", "odr_stats_bulk"
_WATCHED = {Case.__tablename__, Transfer.__tablename__, ConfirmationApplication.__tablename__}
_CHUNK = 500
_available: set[str] = set()
SUMMED = (*VECTOR_COLUMNS, "n")


def rollup_available(session: Session) -> bool:
    """Whether this database has the rollup tables (a database migrated before they
    existed keeps working on the live queries until it is upgraded and rebuilt)."""
    url = str(session.get_bind().url)
    if url not in _available:
        if not inspect(session.connection()).has_table(StatsCell.__tablename__):
            return False
        _available.add(url)
    return True


def _day(column: Any) -> Any:
    return type_coerce(local_day(column), Date).label("day")


def case_facts() -> Any:
    """SELECT producing one fact per case, column for column as ``stats_fact``."""
    flags = [whole_days(case((cond, 1), else_=0)).label(key) for key, cond in outcome_conditions()]
    settle = case((and_(Case.settled_at.is_not(None), Case.submitted_at.is_not(None)),
                   days_between(Case.settled_at, Case.submitted_at)), else_=None)
    return select(literal("case").label("kind"), Case.id.label("ref_id"), Case.id.label("case_id"),
                  _day(Case.created_at), Case.organization_id.label("org_id"),
                  Case.mediator_id.label("mediator_id"), Case.court_id.label("court_id"),
                  Case.category.label("category"), *flags,
                  *(literal(0).label(c) for c in CONFIRMATION_COLUMNS), whole_days(settle).label("days"))


def confirmation_facts() -> Any:
    """SELECT producing one fact per confirmation application that reached the court."""
    app = ConfirmationApplication
    ruling = case((and_(app.decided_at.is_not(None), Case.submitted_at.is_not(None)),
                   days_between(app.decided_at, Case.submitted_at)), else_=None)
    return (select(literal("conf").label("kind"), app.id.label("ref_id"), app.case_id.label("case_id"),
                   _day(app.submitted_at), Case.organization_id.label("org_id"),
                   type_coerce(null(), Integer).label("mediator_id"), app.court_id.label("court_id"),
                   Case.category.label("category"), *(literal(0).label(c) for c in OUTCOME_COLUMNS),
                   literal(1).label("applied"),
                   whole_days(case((app.status == "confirmed", 1), else_=0)).label("confirmed"),
                   whole_days(case((app.status == "rejected", 1), else_=0)).label("conf_rejected"),
                   whole_days(ruling).label("days"))
            .select_from(app).join(Case, Case.id == app.case_id).where(app.status != "pending_consent"))


# --- cells ----------------------------------------------------------------------------

#: shape → (fact kind, grains, key column of the fact or None, keeps category, histogram)
SHAPES: dict[str, tuple[str, tuple[str, ...], str | None, bool, bool]] = {
    "case": ("case", ("y", "m"), None, True, False),
    "org": ("case", ("y",), "org_id", False, False),
    "med": ("case", ("y",), "mediator_id", False, False),
    "settle": ("case", ("y", "m"), None, True, True),
    "conf": ("conf", ("y", "m"), None, True, False),
    "ruling": ("conf", ("y", "m"), None, True, True),
}


def _period(day: date, grain: str) -> date:
    return date(day.year, 1, 1) if grain == "y" else date(day.year, day.month, 1)


def contributions(fact: dict[str, Any]) -> Iterable[tuple[tuple[Any, ...], dict[str, int]]]:
    """The cells one fact adds to (cell key in CELL_KEY order, summed values)."""
    day = fact["day"]
    if day is None:
        return
    vector = {c: int(fact[c]) for c in VECTOR_COLUMNS if fact[c]}
    vector["n"] = 1
    for shape, (kind, grains, key, keeps_category, histogram) in SHAPES.items():
        if kind != fact["kind"] or (histogram and fact["days"] is None):
            continue
        key_id = int(fact[key] or 0) if key else 0
        category = fact["category"] if keeps_category else ""
        bucket = int(fact["days"]) if histogram else -1
        for grain in grains:
            yield (shape, grain, _period(day, grain), key_id, category, bucket), ({"n": 1} if histogram else vector)


def _add(delta: dict[tuple[Any, ...], dict[str, int]], fact: dict[str, Any], sign: int) -> None:
    for key, vector in contributions(fact):
        cell = delta.setdefault(key, {})
        for column, value in vector.items():
            cell[column] = cell.get(column, 0) + sign * value


def _upsert(session: Session, delta: dict[tuple[Any, ...], dict[str, int]]) -> None:
    """Add ``delta`` to the cells, creating missing ones, in key order (no deadlocks)."""
    rows = [{**dict(zip(CELL_KEY, key, strict=True)), **{c: vector.get(c, 0) for c in SUMMED}}
            for key, vector in sorted(delta.items()) if any(vector.values())]
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    table = StatsCell.__table__
    for i in range(0, len(rows), _CHUNK):
        stmt = dialect_insert(table).values(rows[i:i + _CHUNK])
        session.execute(stmt.on_conflict_do_update(
            index_elements=list(CELL_KEY),
            set_={c: table.c[c] + stmt.excluded[c] for c in SUMMED}))


# --- sync and rebuild -----------------------------------------------------------------

def sync(session: Session, case_ids: Iterable[int]) -> None:
    """Make the facts and cells of these cases (and their applications) match the live
    rows. Idempotent; ids of deleted cases just lose their facts."""
    ids = sorted({int(i) for i in case_ids if i is not None})
    fact_columns = [StatsFact.__table__.c[c] for c in (*_fact_names(),)]
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        old = [dict(r._mapping) for r in session.execute(
            select(*fact_columns).where(StatsFact.case_id.in_(chunk)))]
        new = [dict(r._mapping) for r in chain(
            session.execute(case_facts().where(Case.id.in_(chunk))),
            session.execute(confirmation_facts().where(ConfirmationApplication.case_id.in_(chunk))))]
        delta: dict[tuple[Any, ...], dict[str, int]] = {}
        for fact in old:
            _add(delta, fact, -1)
        for fact in new:
            _add(delta, fact, 1)
        session.execute(delete(StatsFact.__table__).where(StatsFact.case_id.in_(chunk)))
        if new:
            session.execute(insert(StatsFact.__table__), new)
        _upsert(session, delta)


def _fact_names() -> list[str]:
    return [c.key for c in case_facts().selected_columns]


def missing_case_ids(session: Session) -> list[int]:
    """Cases, and cases of applications, that have no fact yet (after bulk inserts)."""
    fact = StatsFact.__table__.c
    app = ConfirmationApplication
    cases = select(Case.id).where(~exists().where(fact.kind == "case", fact.ref_id == Case.id))
    apps = select(app.case_id).where(app.status != "pending_consent",
                                     ~exists().where(fact.kind == "conf", fact.ref_id == app.id))
    return list(session.execute(cases.union(apps)).scalars())


def rebuild(session: Session) -> dict[str, int]:
    """Recompute every fact and cell from the live tables, in SQL (the caller commits)."""
    session.execute(delete(StatsCell.__table__))
    session.execute(delete(StatsFact.__table__))
    names = _fact_names()
    session.execute(insert(StatsFact.__table__).from_select(names, case_facts()))
    session.execute(insert(StatsFact.__table__).from_select(names, confirmation_facts()))
    fact = StatsFact.__table__.c
    for shape, (kind, grains, key, keeps_category, histogram) in SHAPES.items():
        for grain in grains:
            period = period_start(fact.day, grain)
            key_id = func.coalesce(fact[key], literal_column("0")) if key else literal_column("0")
            category = fact.category if keeps_category else literal_column("''")
            bucket = fact.days if histogram else literal_column("-1")
            sums = [literal_column("0") if histogram else func.sum(fact[c]) for c in VECTOR_COLUMNS]
            where = [fact.kind == kind, fact.day.is_not(None)]
            if histogram:
                where.append(fact.days.is_not(None))
            query = (select(literal_column(f"'{shape}'"), literal_column(f"'{grain}'"), period, key_id, category,
                            bucket, *sums, func.count())
                     .where(*where).group_by(*(e for e in (period, key_id, category, bucket)
                                               if not getattr(e, "is_literal", False))))
            session.execute(insert(StatsCell.__table__).from_select(
                [*CELL_KEY, *VECTOR_COLUMNS, "n"], query))
    counts = {"facts": session.execute(select(func.count()).select_from(StatsFact.__table__)).scalar_one(),
              "cells": session.execute(select(func.count()).select_from(StatsCell.__table__)).scalar_one()}
    return {k: int(v) for k, v in counts.items()}


# --- session hooks --------------------------------------------------------------------

def _after_flush(session: Session, _context: Any) -> None:
    dirty: set[int] = session.info.setdefault(_DIRTY, set())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Case):
            dirty.add(obj.id)
        elif isinstance(obj, Transfer | ConfirmationApplication):
            dirty.add(obj.case_id)


def _do_orm_execute(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _WATCHED:
        state.session.info.setdefault(_BULK, set()).add("insert" if state.is_insert else "other")


def _before_commit(session: Session) -> None:
    session.flush()  # what commit would flush next must be seen by _after_flush first
    if not session.info.get(_DIRTY) and not session.info.get(_BULK):
        return
    dirty: set[int] = session.info.pop(_DIRTY, set())
    bulk: set[str] = session.info.pop(_BULK, set())
    if not rollup_available(session):
        return
    if "other" in bulk:
        rebuild(session)
        return
    if "insert" in bulk:
        dirty |= set(missing_case_ids(session))
    if dirty:
        sync(session, dirty)


def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_DIRTY, None)
        session.info.pop(_BULK, None)


def install() -> None:
    """Listen on every ORM session (idempotent): the app's, the scheduler's, scripts'."""
    for name, fn in (("after_flush", _after_flush), ("do_orm_execute", _do_orm_execute),
                     ("before_commit", _before_commit), ("after_transaction_end", _after_transaction_end)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
