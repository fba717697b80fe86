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
