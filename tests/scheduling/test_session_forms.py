"""The case page's session panel: propose, accept and cancel through its forms (with CSRF)."""

from __future__ import annotations

from sqlalchemy import func, select

from odr.core.time import UTC
from odr.extensions import db
from odr.scheduling.models import BusyBlock, MediationSession
from tests.conftest import csrf_token, login
from tests.scheduling.helpers import local_slot, make_case, open_all_week


def _sessions(case):
    db.session.expire_all()
    return list(db.session.scalars(select(MediationSession).where(MediationSession.case_id == case.id)
                                   .order_by(MediationSession.starts_at)))


def test_propose_accept_cancel_through_the_panel(app, client, world):
    case = make_case(world)
    open_all_week(world.mediators[0].id)
    a, b = local_slot(3, 10), local_slot(4, 14, 30)
    page_url = f"/cases/{case.id}"
    login(client, "mediator")
    page = client.get(page_url).get_data(as_text=True)
    assert f'action="/cases/{case.id}/sessions/propose"' in page
    form = {"date": [a.date().isoformat(), b.date().isoformat(), ""],
            "time": [a.strftime("%H:%M"), b.strftime("%H:%M"), ""], "duration_minutes": "60"}
    # without the CSRF token nothing is proposed
    client.post(f"/cases/{case.id}/sessions/propose", data=form)
    assert _sessions(case) == []
    resp = client.post(f"/cases/{case.id}/sessions/propose", data={**form, "csrf_token": csrf_token(client, page_url)})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#sessions")
    proposed = _sessions(case)
    assert [s.status for s in proposed] == ["proposed", "proposed"]
    assert proposed[0].starts_at == a.astimezone(UTC)  # wall clock read in Asia/Shanghai

    party = app.test_client()
    for who in ("applicant", "respondent"):
        login(party, who)
        page = party.get(page_url).get_data(as_text=True)
        assert f"/sessions/{proposed[1].id}/accept" in page
        party.post(f"/sessions/{proposed[1].id}/accept", data={"csrf_token": csrf_token(party, page_url)})
        party.post("/logout", data={"csrf_token": csrf_token(party, page_url)})
    booked = {s.id: s.status for s in _sessions(case)}
    assert booked == {proposed[0].id: "cancelled", proposed[1].id: "booked"}
    assert db.session.scalar(select(func.count(BusyBlock.id))) == 3 * 4

    token = csrf_token(client, page_url)
    client.post(f"/sessions/{proposed[1].id}/cancel", data={"reason": "", "csrf_token": token})
    assert db.session.get(MediationSession, proposed[1].id).status == "booked"  # a reason is required
    client.post(f"/sessions/{proposed[1].id}/cancel", data={"reason": "调解员临时出差", "csrf_token": token})
    db.session.expire_all()
    assert db.session.get(MediationSession, proposed[1].id).status == "cancelled"
    assert db.session.scalar(select(func.count(BusyBlock.id))) == 0


def test_panel_refuses_bad_slots_and_outsiders(app, client, world):
    case = make_case(world)
    open_all_week(world.mediators[0].id, start=local_slot(1, 9).time(), end=local_slot(1, 12).time())
    page_url = f"/cases/{case.id}"
    login(client, "mediator")
    token = csrf_token(client, page_url)
    late = local_slot(2, 18)  # outside availability
    client.post(f"/cases/{case.id}/sessions/propose",
                data={"date": late.date().isoformat(), "time": "18:00", "csrf_token": token})
    client.post(f"/cases/{case.id}/sessions/propose",
                data={"date": "2020-01-01", "time": "10:00", "csrf_token": token})  # in the past
    client.post(f"/cases/{case.id}/sessions/propose",
                data={"date": "not-a-date", "time": "10:00", "csrf_token": token})
    assert _sessions(case) == []

    outsider = app.test_client()
    login(outsider, "respondent")
    resp = outsider.post(f"/cases/{case.id}/sessions/propose",
                         data={"date": local_slot(2, 10).date().isoformat(), "time": "10:00",
                               "csrf_token": csrf_token(outsider, page_url)})
    assert resp.status_code == 403 and _sessions(case) == []
