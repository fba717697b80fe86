"""Two admins take a mediator's last slot at the same moment: exactly one succeeds."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask

from odr.accounts.models import Role
from odr.cases.assignment import assign
from odr.cases.models import Case
from odr.core.errors import Conflict
from odr.extensions import db
from odr.mediators.models import MediatorProfile
from odr.mediators.staff import create_staff
from tests.case_factories import accepted_case
from tests.factories import PASSWORD, World


@pytest.mark.postgres
def test_two_admins_race_for_the_last_slot(app: Flask, world: World) -> None:
    second_admin = create_staff({"username": "orgadmin2", "password": PASSWORD, "display_name": "孙主任",
                                 "role": Role.ORG_ADMIN, "organization_id": world.county.id}, world.admin)
    profile = db.session.get(MediatorProfile, world.mediators[0].id)
    profile.max_cases = 1
    db.session.commit()
    cases = [accepted_case(world).id, accepted_case(world).id]
    admins = [world.org_admin.id, second_admin.id]
    barrier = threading.Barrier(2)
    outcomes: list[Any] = [None, None]

    def run(i: int) -> None:
        with app.app_context():
            from odr.accounts.models import User

            actor = db.session.get(User, admins[i])
            case = db.session.get(Case, cases[i])
            barrier.wait()
            try:
                outcomes[i] = assign(case, actor, mediator_id=world.mediators[0].id)["mediator_id"]
            except Conflict as exc:
                db.session.rollback()
                outcomes[i] = exc.code
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(map(str, outcomes)) == sorted([str(world.mediators[0].id), "mediator_full"])
    db.session.expire_all()
    assert db.session.get(MediatorProfile, world.mediators[0].id).active_cases == 1
    assigned = [db.session.get(Case, c).mediator_id for c in cases]
    assert assigned.count(world.mediators[0].id) == 1 and assigned.count(None) == 1
