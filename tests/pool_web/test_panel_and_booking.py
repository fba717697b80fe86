"""The case page's assignment panel, booking an organization, escalating from the page,
and the county demo seeding through the CLI."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_login import login_user

from odr.extensions import db
from odr.organizations.models import Organization
from tests.case_factories import accepted_case, case_in_mediation, file_case
from tests.factories import World
from tests.pool_web.helpers import as_user, post


def _panel(app: Any, case: Any, user: Any) -> str:
    with app.test_request_context("/"), force_locale("en"):
        login_user(user)
        return render_template("cases/_panel_assignment.html", case=case, current_user=user)


def test_panel_shows_ranked_candidates_with_score_parts_to_the_admin(app: Any, world: World) -> None:
    case = accepted_case(world)
    html = _panel(app, case, world.org_admin)
    assert 'id="assignment"' in html and "Assign the best match" in html
    assert f'id="candidate-{world.mediators[0].id}"' in html and f'id="candidate-{world.mediators[1].id}"' in html
    assert html.index(f"candidate-{world.mediators[0].id}") < html.index(f"candidate-{world.mediators[1].id}")
    for part in ("category 30", "region", "level", "load", "availability", "outcomes"):
        assert part in html
    assert "Reason for choosing someone other than the best match" in html
    # a party sees no assignment controls
    html = _panel(app, case, world.applicant)
    assert "Assign the best match" not in html and "Escalate" not in html


def test_panel_forms_for_mediator_and_parties(app: Any, world: World) -> None:
    case = case_in_mediation(world)
    html = _panel(app, case, world.mediators[0])
    assert "Declare any relation to the parties" in html and "Escalate to the parent organization" in html
    assert "Withdraw from this case" in html
    html = _panel(app, case, world.applicant)
    assert "Ask for another mediator (recusal)" in html and "Rate the mediator" not in html


def test_page_assignment_through_the_panel_form(client: Any, world: World) -> None:
    case = accepted_case(world)
    token = as_user(client, "orgadmin")
    resp = post(client, f"/cases/{case.id}/assign", token, mediator_id=world.mediators[0].id,
                recommended=world.mediators[0].id)
    assert resp.status_code == 302
    db.session.refresh(case)
    assert case.mediator_id == world.mediators[0].id


def _town_case_in_mediation(world: World) -> Any:
    from odr.cases import services
    from odr.cases.assignment import assign

    case = accepted_case(world, organization_id=world.town.id)
    services.claim_invitation(world.extra["invitations"][case.id][0], world.respondent)
    db.session.refresh(case)
    services.respond(case, world.respondent, "accept")
    db.session.refresh(case)
    assign(case, world.town_admin, mediator_id=world.town_mediator.id)
    db.session.refresh(case)
    return case


def test_mediator_escalating_lands_on_a_page_they_can_see(client: Any, world: World) -> None:
    case = _town_case_in_mediation(world)
    token = as_user(client, "townmediator")
    resp = post(client, f"/cases/{case.id}/escalate", token, reason="涉及多村，需镇里协调")
    assert resp.status_code == 302
    assert f"/cases/{case.id}" not in resp.headers["Location"]
    page = client.get(resp.headers["Location"], follow_redirects=True)
    assert page.status_code == 200 and "The case was escalated." in page.get_data(as_text=True)
    db.session.refresh(case)
    assert case.status == "submitted" and case.mediator_id is None and case.organization_id == world.county.id


def test_refused_panel_form_keeps_what_was_typed(app: Any, client: Any, world: World) -> None:
    case = case_in_mediation(world)
    token = as_user(client, "mediator")
    resp = post(client, f"/cases/{case.id}/disclosure", token, form="disclose", has_relation="yes", description="")
    assert resp.status_code == 302
    with client.session_transaction() as sess:
        assert sess["pool_form"]["data"]["has_relation"] == "yes"


def test_booking_a_whole_organization(client: Any, world: World) -> None:
    case = file_case(world)
    token = as_user(client, "applicant", f"/organizations/{world.town.id}")
    html = client.get(f"/organizations/{world.town.id}").get_data(as_text=True)
    assert "Book this organization" in html
    resp = post(client, f"/organizations/{world.town.id}/book", token, case_id=case.id)
    assert resp.status_code == 302
    db.session.refresh(case)
    assert case.organization_id == world.town.id and case.preferred_mediator_id is None
    other = client.application.test_client()
    token = as_user(other, "outsider", f"/organizations/{world.town.id}")
    assert post(other, f"/organizations/{world.county.id}/book", token, case_id=case.id).status_code == 404


def test_seed_demo_county_through_the_cli(app: Any) -> None:
    from sqlalchemy import func, select

    from odr.mediators.models import MediatorProfile, MediatorTag

    runner = app.test_cli_runner()
    result = runner.invoke(args=["odr", "seed-demo", "--scale", "county"])
    assert result.exit_code == 0, result.output
    assert db.session.execute(select(func.count(Organization.id))).scalar_one() == 127
    assert db.session.execute(select(func.count(MediatorProfile.user_id))).scalar_one() == 648
    tagged = db.session.execute(select(func.count(func.distinct(MediatorTag.mediator_id)))).scalar_one()
    assert tagged == 648
    again = runner.invoke(args=["odr", "seed-demo", "--scale", "county"])
    assert again.exit_code == 0 and "nothing to do" in again.output
    assert db.session.execute(select(func.count(Organization.id))).scalar_one() == 127
