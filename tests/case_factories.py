"""Cases in each early state, built through the real services (other rooms' tests use these).

Signatures are stable: file_case(world, **overrides), submitted_case(world),
accepted_case(world), case_in_mediation(world).
"""

from __future__ import annotations

import importlib
from typing import Any

from odr.cases import services
from odr.cases.models import Case
from odr.extensions import db
from tests.factories import World


def case_data(world: World, **overrides: Any) -> dict[str, Any]:
    respondent = world.respondent
    data: dict[str, Any] = {
        "category": "neighbour",
        "facts": "邻居李四在两家之间的通道上堆放杂物，多次协商未果，影响通行。",
        "claims": [{"description": "清除通道上的杂物", "amount": None},
                   {"description": "赔偿损失", "amount": "2000.00"}],
        "respondents": [{"kind": "person", "name": respondent.display_name, "phone": respondent.phone,
                         "email": respondent.email}],
        "organization_id": world.county.id,
    }
    data.update(overrides)
    return data


def file_case(world: World, **overrides: Any) -> Case:
    """A draft filed by world.applicant against world.respondent at world.county."""
    return services.create_case(world.applicant, case_data(world, **overrides))


def submitted_case(world: World, **overrides: Any) -> Case:
    case = file_case(world, **overrides)
    return services.submit_case(case, world.applicant)


def accepted_case(world: World, **overrides: Any) -> Case:
    """Accepted by the county's admin; the respondent's raw invitation token is kept in
    ``world.extra["invitations"][case.id]``."""
    case = submitted_case(world, **overrides)
    admin = world.org_admin if case.organization_id == world.county.id else world.town_admin
    services.accept_case(case, admin)
    # issue a fresh link we can claim (the one sent by accept_case is not readable back)
    db.session.refresh(case)
    issued = services.issue_invitations(case)
    world.extra.setdefault("invitations", {})[case.id] = [raw for _p, raw in issued]
    return case


def case_in_mediation(world: World, **overrides: Any) -> Case:
    """Accepted, the respondent claimed the invitation and agreed; a mediator is assigned
    through odr.cases.assignment.assign when that module exists."""
    case = accepted_case(world, **overrides)
    raw = world.extra["invitations"][case.id][0]
    services.claim_invitation(raw, world.respondent)
    db.session.refresh(case)
    services.respond(case, world.respondent, "accept")
    db.session.refresh(case)
    try:
        assignment = importlib.import_module("odr.cases.assignment")
    except ImportError:
        assignment = None
    assign = getattr(assignment, "assign", None) if assignment else None
    if assign is not None:
        admin = world.org_admin if case.organization_id == world.county.id else world.town_admin
        assign(case, admin, mediator_id=world.mediators[0].id)
        db.session.refresh(case)
    return case


def rich_case(world: World) -> Case:
    """A case with an object of every kind: two evidence items (one mediator-only), a booked
    session with minutes, an agreement signed by all and in effect (with its PDF), and a
    judicial-confirmation application submitted to the court by both parties.

    Used by the tests that walk every URL and every object type (policy, IDOR)."""
    import io
    from datetime import datetime, time, timedelta

    from flask import current_app

    from odr.agreements import services as agreements
    from odr.confirmation import services as confirmation
    from odr.core.time import DEFAULT_TZ, UTC
    from odr.mediators.availability import set_availability
    from odr.mediators.models import MediatorProfile
    from odr.scheduling import booking
    from odr.scheduling.minutes import save_minutes
    from tests.conftest import api_token
    from tests.factories import PASSWORD

    case = case_in_mediation(world)
    client = current_app.test_client()
    for user, name, visibility in ((world.applicant, "借条.txt", "all"), (world.respondent, "caucus.txt", "mediator")):
        headers = api_token(client, user.username)
        resp = client.post(f"/api/v1/cases/{case.id}/evidence", headers=headers, content_type="multipart/form-data",
                           data={"title": name, "visibility": visibility,
                                 "file": (io.BytesIO(f"{name} 今借到人民币贰万元整。".encode()), name)})
        assert resp.status_code == 201, resp.get_json()
    mediator = world.mediators[0]
    set_availability(db.session.get(MediatorProfile, mediator.id),
                     [{"weekday": d, "start": "07:00", "end": "22:00"} for d in range(7)], [], mediator)
    day = datetime.now(UTC).astimezone(DEFAULT_TZ).date() + timedelta(days=2)
    start = datetime.combine(day, time(10, 0), tzinfo=DEFAULT_TZ)
    [session] = booking.propose(case, mediator, [{"starts_at": start.isoformat(), "duration_minutes": 60}])
    booking.accept(session, case, world.applicant)
    booking.accept(session, case, world.respondent)
    save_minutes(case, session, mediator, "双方到场，围绕通道堆物问题陈述意见。", submit=True)
    agreement = agreements.draft_agreement(case, mediator, {
        "terms": [{"obligor": "李四", "obligee": "张三", "description": "赔偿损失", "amount": "2000.00",
                   "due_date": (day + timedelta(days=30)).isoformat(), "method": "lump_sum"}]})
    for user in (world.applicant, world.respondent, mediator):
        agreements.sign(agreement, user, PASSWORD)
    db.session.refresh(case)
    confirmation.consent(case, world.applicant)
    confirmation.consent(case, world.respondent)
    db.session.refresh(case)
    return case
