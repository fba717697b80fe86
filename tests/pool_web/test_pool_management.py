"""The organization admin's pool pages: suspend, edit, availability refusals, adding."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from odr.extensions import db
from odr.mediators.models import AvailabilityException, AvailabilitySlot, MediatorTag
from tests.case_factories import file_case
from tests.factories import World
from tests.pool_web.helpers import as_user, post, profile


def test_pool_lists_load_and_only_for_the_admin(client: Any, world: World) -> None:
    token = as_user(client, "orgadmin")
    html = client.get("/pool").get_data(as_text=True)
    assert world.mediators[0].display_name in html and world.town_mediator.display_name not in html
    assert "0 of 5" in html and 'href="/pool"' in client.get("/").get_data(as_text=True)
    assert token
    other = client.application.test_client()
    as_user(other, "applicant")
    assert other.get("/pool").status_code == 403
    assert other.get(f"/pool/{world.mediators[0].id}/edit").status_code in (403, 404)


def test_suspended_mediator_leaves_directory_and_cannot_be_booked(client: Any, world: World) -> None:
    m0 = world.mediators[0]
    token = as_user(client, "orgadmin")
    resp = post(client, f"/pool/{m0.id}/status", token, status="suspended")
    assert resp.status_code == 302
    assert profile(m0.id).status == "suspended"
    assert f"/mediators/{m0.id}\"" not in client.get("/mediators").get_data(as_text=True)
    case = file_case(world)
    applicant = client.application.test_client()
    token = as_user(applicant, "applicant")
    assert applicant.get(f"/mediators/{m0.id}").status_code == 404
    resp = post(applicant, f"/mediators/{m0.id}/book", token, case_id=case.id)
    assert resp.status_code == 404
    db.session.refresh(case)
    assert case.preferred_mediator_id is None
    # reactivated: bookable again through the page's form
    token = as_user(client, "orgadmin")
    post(client, f"/pool/{m0.id}/status", token, status="active")
    html = applicant.get(f"/mediators/{m0.id}").get_data(as_text=True)
    assert "Book this mediator" in html
    token = as_user(applicant, "applicant", f"/mediators/{m0.id}")
    resp = post(applicant, f"/mediators/{m0.id}/book", token, case_id=case.id)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/cases/{case.id}")
    db.session.refresh(case)
    assert case.preferred_mediator_id == m0.id


def _availability(client: Any, mid: int, token: str, weekly: list[tuple[str, str, str]],
                  leave: list[tuple[str, str]] = ()) -> Any:
    return client.post(f"/pool/{mid}/availability", data={
        "csrf_token": token, "weekday": [w[0] for w in weekly], "start": [w[1] for w in weekly],
        "end": [w[2] for w in weekly], "leave_from": [x[0] for x in leave], "leave_to": [x[1] for x in leave],
        "leave_reason": ["" for _ in leave]})


def _saved(mid: int) -> tuple[int, int]:
    slots = db.session.execute(select(func.count()).where(AvailabilitySlot.mediator_id == mid)).scalar_one()
    leave = db.session.execute(select(func.count()).where(AvailabilityException.mediator_id == mid)).scalar_one()
    return slots, leave


def test_availability_refusals_keep_the_rows_and_save_nothing(client: Any, world: World) -> None:
    mid = world.mediators[0].id
    token = as_user(client, "orgadmin")
    resp = _availability(client, mid, token, [("0", "09:00", "12:00"), ("0", "11:00", "13:00")])
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "overlaps another slot" in html and 'value="11:00"' in html
    resp = _availability(client, mid, token, [("2", "15:00", "14:00")])
    assert resp.status_code == 400 and "must end after it starts" in resp.get_data(as_text=True)
    resp = _availability(client, mid, token, [("1", "09:00", "12:00")],
                         [("2030-05-01", "2030-05-10"), ("2030-05-08", "2030-05-12")])
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Two absences overlap." in html and 'value="2030-05-08"' in html
    resp = _availability(client, mid, token, [("1", "09:00", "12:00")], [("2030-05-10", "2030-05-01")])
    assert resp.status_code == 400 and "must end after it starts" in resp.get_data(as_text=True)
    assert _saved(mid) == (0, 0)
    resp = _availability(client, mid, token, [("1", "09:00", "12:00"), ("1", "14:00", "17:00")],
                         [("2030-05-01", "2030-05-10")])
    assert resp.status_code == 302 and _saved(mid) == (2, 1)
    html = client.get(f"/pool/{mid}/availability").get_data(as_text=True)
    assert 'value="2030-05-01"' in html and 'value="2030-05-10"' in html and 'value="14:00"' in html


def test_profile_edit_refuses_unknown_region_and_keeps_typed(client: Any, world: World) -> None:
    mid = world.mediators[0].id
    token = as_user(client, "orgadmin")
    data = {"csrf_token": token, "display_name": "陈新名", "specialties": ["family", "medical"],
            "languages": "zh, 越语", "region_code": "999999", "years_of_practice": "7", "max_cases": "6",
            "bio": "typed bio", "qualifications": ""}
    resp = client.post(f"/pool/{mid}/edit", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Unknown region code." in html and "typed bio" in html
    assert 'value="999999"' in html
    assert profile(mid).max_cases == 5 and world.mediators[0].display_name == "陈调解员"
    resp = client.post(f"/pool/{mid}/edit", data={**data, "region_code": world.town.region_code})
    assert resp.status_code == 302, [line for line in resp.get_data(as_text=True).splitlines() if "error" in line]
    prof = profile(mid)
    assert prof.max_cases == 6 and prof.specialties == ["family", "medical"] and prof.languages == ["zh", "越语"]
    tags = set(db.session.execute(select(MediatorTag.kind, MediatorTag.value)
                                  .where(MediatorTag.mediator_id == mid)).all())
    assert tags == {("specialty", "family"), ("specialty", "medical"), ("language", "zh"), ("language", "越语")}
    assert f"/mediators/{mid}\"" in client.get("/mediators?language=越语&category=medical").get_data(as_text=True)


def test_add_mediator_through_the_pool(client: Any, world: World) -> None:
    token = as_user(client, "orgadmin")
    data = {"csrf_token": token, "username": "newmed", "password": "long-enough-9", "display_name": "孙调解员",
            "specialties": ["traffic"], "languages": "zh", "region_code": "000000", "max_cases": "4",
            "years_of_practice": "3"}
    resp = client.post("/pool/new", data=data)
    assert resp.status_code == 400 and "Unknown region code." in resp.get_data(as_text=True)
    resp = client.post("/pool/new", data={**data, "region_code": world.county.region_code})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    html = client.get("/mediators?category=traffic").get_data(as_text=True)
    assert "孙调解员" in html
