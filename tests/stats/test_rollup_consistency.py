"""The rollup-backed figures equal the live-table figures, whatever happened to the cases.

Random cases (every status, source, category, organization, with and without court and
mediator, filed across two years), then random changes through the ORM — status moves,
reassignments, transfers between organizations, an escalation through the state machine,
judicial-confirmation applications filed and ruled, a deletion, a rolled-back edit, and
bulk INSERT / UPDATE statements. After each round every scope and filter is compared
with odr.stats.live, and the incrementally kept cells with a full rebuild.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from odr.agreements.models import Agreement
from odr.cases import lifecycle
from odr.cases.lifecycle import STATUSES
from odr.cases.models import Case, Category, Source, Transfer
from odr.confirmation.models import ConfirmationApplication
from odr.core.time import UTC
from odr.extensions import db
from odr.stats import live, queries
from odr.stats.definitions import Filters, Scope, descendants
from odr.stats.models import VECTOR_COLUMNS, StatsCell, StatsFact
from odr.stats.rollup import rebuild

EPOCH = datetime(2024, 11, 20, tzinfo=UTC)
CATEGORIES = Category.ALL[:4]


def _case_row(rng: random.Random, world: Any) -> dict[str, Any]:
    filed = EPOCH + timedelta(minutes=rng.randrange(0, 500 * 24 * 60))
    submitted = filed if rng.random() < 0.9 else None
    org = rng.choice([world.county, world.town, world.village, None])
    return {"status": rng.choice(STATUSES), "category": rng.choice(CATEGORIES), "facts": "",
            "source": rng.choice(Source.ALL), "organization_id": org.id if org else None,
            "court_id": world.court.id if rng.random() < 0.4 else None,
            "mediator_id": rng.choice([None, *(m.id for m in world.mediators), world.town_mediator.id]),
            "created_by_id": world.applicant.id, "created_at": filed, "submitted_at": submitted,
            "accepted_at": filed + timedelta(days=1) if submitted and rng.random() < 0.7 else None,
            "mediation_started_at": filed + timedelta(days=2) if rng.random() < 0.5 else None,
            "settled_at": filed + timedelta(days=rng.randrange(3, 40), hours=rng.randrange(24))
            if rng.random() < 0.4 else None,
            "escalation_count": 1 if rng.random() < 0.05 else 0}


def _apply(rng: random.Random, world: Any, case: Case) -> None:
    """Confirmation application (with its agreement) for a case."""
    versions = db.session.execute(select(Agreement.id).where(Agreement.case_id == case.id)).all()
    agreement = Agreement(case_id=case.id, version=len(versions) + 1, status="effective", content_hash="0" * 64,
                          created_by_id=world.mediators[0].id)
    db.session.add(agreement)
    db.session.flush()
    submitted = case.created_at + timedelta(days=rng.randrange(0, 60)) if rng.random() < 0.95 else None
    status = rng.choice(["pending_consent", "submitted", "accepted", "confirmed", "rejected", "withdrawn"])
    db.session.add(ConfirmationApplication(
        case_id=case.id, agreement_id=agreement.id, court_id=world.court.id, status=status,
        submitted_at=submitted, warnings=[], grounds=[],
        decided_at=submitted + timedelta(days=rng.randrange(1, 30)) if submitted and status in (
            "confirmed", "rejected") else None))


def _mutate(rng: random.Random, world: Any) -> None:
    cases = list(db.session.execute(select(Case).order_by(Case.id)).scalars())
    for case in rng.sample(cases, min(40, len(cases))):
        roll = rng.random()
        if roll < 0.3:
            case.status = rng.choice(STATUSES)
            case.settled_at = case.settled_at or (case.created_at + timedelta(days=rng.randrange(1, 50)))
        elif roll < 0.45:
            case.mediator_id = rng.choice([None, world.town_mediator.id, *(m.id for m in world.mediators)])
        elif roll < 0.6:
            old, case.organization_id = case.organization_id, rng.choice([world.county.id, world.town.id])
            db.session.add(Transfer(case_id=case.id, kind=rng.choice(["transfer", "escalation"]),
                                    from_organization_id=old, to_organization_id=case.organization_id,
                                    reason="test"))
        elif roll < 0.7:
            case.category, case.court_id = rng.choice(CATEGORIES), rng.choice([None, world.court.id])
        elif roll < 0.85:
            _apply(rng, world, case)
        else:
            case.submitted_at = None if case.submitted_at else case.created_at
    db.session.commit()
    for app in rng.sample(list(db.session.execute(
            select(ConfirmationApplication).order_by(ConfirmationApplication.id)).scalars()), 3):
        app.status, app.decided_at = "confirmed", (app.submitted_at or EPOCH) + timedelta(days=9)
    db.session.commit()


def _scopes(world: Any) -> list[Scope]:
    return [Scope(), Scope(org_ids=descendants(world.county.id)), Scope(org_ids=descendants(world.town.id)),
            Scope(court_id=world.court.id), Scope(org_ids=[world.village.id], court_id=world.court.id)]


FILTERS = [Filters(), Filters(start=date(2025, 1, 1), end=date(2025, 12, 31)),
           Filters(start=date(2024, 12, 1), end=date(2026, 1, 31)),
           Filters(start=date(2025, 3, 15), end=date(2025, 11, 20), category="family"),
           Filters(start=date(2025, 2, 1)), Filters(end=date(2025, 6, 30), category="neighbour"),
           Filters(start=date(2025, 5, 7), end=date(2025, 5, 7))]


def _cells() -> dict[tuple[Any, ...], tuple[int, ...]]:
    rows = db.session.execute(select(StatsCell)).scalars()
    out = {}
    for c in rows:
        values = tuple(getattr(c, k) for k in (*VECTOR_COLUMNS, "n"))
        if any(values):
            out[(c.shape, c.grain, str(c.period), c.key_id, c.category, c.bucket)] = values
    return out


def _assert_consistent(world: Any) -> None:
    for scope in _scopes(world):
        for flt in FILTERS:
            where = f"{scope} {flt}"
            assert queries.summary(scope, flt) == live.summary(scope, flt), where
            assert queries.by_category(scope, flt) == live.by_category(scope, flt), where
            assert queries.trend(scope, flt) == live.trend(scope, flt), where
            assert queries.dashboard(scope, flt, 2) == live.dashboard(scope, flt, 2), where
            for limit in (None, 2):
                assert queries.by_organization(scope, flt, limit) == live.by_organization(scope, flt, limit), where
                assert queries.by_mediator(scope, flt, limit) == live.by_mediator(scope, flt, limit), where
    kept = _cells()
    rebuild(db.session)
    assert _cells() == kept
    db.session.rollback()


def test_rollup_matches_the_live_tables_through_random_changes(app, world):
    rng = random.Random(9)
    db.session.add_all(Case(**_case_row(rng, world)) for _ in range(150))
    db.session.commit()
    _assert_consistent(world)
    db.session.execute(insert(Case), [_case_row(rng, world) for _ in range(150)])
    db.session.commit()
    _assert_consistent(world)
    for _ in range(3):
        _mutate(rng, world)
        _assert_consistent(world)
    town_case = db.session.execute(select(Case).where(Case.organization_id == world.town.id,
                                                      Case.status == "submitted")).scalars().first()
    if town_case is None:
        town_case = Case(**{**_case_row(rng, world), "organization_id": world.town.id, "status": "submitted"})
        db.session.add(town_case)
        db.session.commit()
    db.session.add(Transfer(case_id=town_case.id, kind="escalation", from_organization_id=world.town.id,
                            to_organization_id=world.county.id, reason="beyond the town's reach"))
    town_case.organization_id, town_case.escalation_count = world.county.id, town_case.escalation_count + 1
    lifecycle.transition(town_case, "escalate", world.town_admin, reason="beyond the town's reach",
                         check_policy=False)
    db.session.commit()
    assert town_case.organization_id == world.county.id
    _assert_consistent(world)
    victim = db.session.execute(select(Case).where(~Case.id.in_(select(ConfirmationApplication.case_id)))
                                ).scalars().first()
    db.session.execute(update(Case).where(Case.id == victim.id).values(escalation_count=1))
    db.session.commit()
    for transfer in db.session.execute(select(Transfer).where(Transfer.case_id == victim.id)).scalars():
        db.session.delete(transfer)
    db.session.delete(victim)
    db.session.commit()
    _assert_consistent(world)
    before = db.session.execute(select(StatsFact).limit(1)).scalar_one()
    case = db.session.get(Case, before.case_id)
    case.status, case.category = "failed", "other"
    db.session.flush()
    db.session.rollback()
    _assert_consistent(world)


def test_split_covers_the_range_once():
    years, months, spans = queries.split(date(2024, 12, 15), date(2026, 2, 3), ("y", "m"))
    assert years == [date(2025, 1, 1)]
    assert months == [date(2026, 1, 1)]
    assert spans == [(date(2024, 12, 15), date(2024, 12, 31)), (date(2026, 2, 1), date(2026, 2, 3))]
    years, months, spans = queries.split(date(2025, 1, 1), date(2025, 12, 31), ("y",))
    assert (years, months, spans) == ([date(2025, 1, 1)], [], [])
    assert queries.split(date(2025, 3, 2), date(2025, 5, 31), ("y",)) == ([], [], [(date(2025, 3, 2),
                                                                                   date(2025, 5, 31))])
