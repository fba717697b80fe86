"""The record of a court hearing (询问笔录): written by the presiding judge or the clerk
seated in the hearing, never by the case's mediator or another judge; read and confirmed
by the parties like mediation minutes; issued as the court's document."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from odr.accounts.models import Role
from odr.core.errors import Forbidden
from odr.documents import builders
from odr.documents.services import read_bytes
from odr.extensions import db
from odr.scheduling import minutes as svc
from odr.scheduling.models import Minutes
from tests.confirmation.hearing_builders import Hearing, booked_hearing, staff
from tests.conftest import api_token, csrf_token, login
from tests.factories import World
from tests.video.conftest import Booked


@pytest.fixture()
def hearing(app: Flask, world: World) -> Hearing:
    return booked_hearing(world)


def test_the_court_writes_the_record_and_the_parties_confirm_it(world: World, hearing: Hearing) -> None:
    case, session = hearing.case, hearing.session
    judge2 = staff(world, "judge2", Role.JUDGE)
    clerk2 = staff(world, "clerk2", Role.CLERK)  # of the court, but not seated in this hearing
    draft = svc.save_minutes(case, session, world.judge, "审判员：请申请人陈述。")
    assert (draft.version, draft.status, draft.author_id) == (1, "draft", world.judge.id)
    for user in (world.mediators[0], judge2, clerk2, world.applicant, world.org_admin):
        with pytest.raises(Forbidden) as refused:
            svc.save_minutes(case, session, user, "我来写")
        assert "presiding judge or the clerk seated" in str(refused.value.message)
    # the seated clerk records as well; nobody confirmed yet, so the same version is edited
    shared = svc.save_minutes(case, session, world.clerk, draft.body + "\n张三：协议是自愿签订的。", submit=True)
    assert (shared.id, shared.status, shared.author_id) == (draft.id, "confirming", world.clerk.id)
    with pytest.raises(Forbidden):
        svc.confirm_minutes(shared, world.judge)  # the court writes; the parties confirm
    svc.confirm_minutes(shared, world.applicant)
    done = svc.confirm_minutes(shared, world.respondent)
    assert done.status == "confirmed" and done.confirmed_at is not None


def test_mediation_minutes_stay_the_mediators(world: World, booked: Booked) -> None:
    for user in (world.judge, world.clerk):
        with pytest.raises(Forbidden) as refused:
            svc.save_minutes(booked.case, booked.session, user, "法院来写")
        assert "Only the case's mediator writes the minutes." in str(refused.value.message)
    assert svc.save_minutes(booked.case, booked.session, world.mediators[0], "调解员：开始调解。").version == 1


def test_the_hearing_room_shows_the_editor_to_the_court_only(app: Flask, world: World, hearing: Hearing) -> None:
    staff(world, "judge2", Role.JUDGE)
    sid = hearing.session.id
    seen = {}
    for username in ("judge", "clerk", "judge2", world.mediators[0].username, world.applicant.username):
        client = app.test_client()
        login(client, username)
        seen[username] = client.get(f"/sessions/{sid}/room").get_data(as_text=True)
    for username in ("judge", "clerk"):
        assert 'id="minutes-editor"' in seen[username] and "Hearing record" in seen[username], username
    for username in ("judge2", world.mediators[0].username, world.applicant.username):
        assert 'id="minutes-editor"' not in seen[username], username
    # the judge writes through the page; the mediator's post is refused
    judge = app.test_client()
    login(judge, "judge")
    token = csrf_token(judge, f"/sessions/{sid}/minutes")
    resp = judge.post(f"/sessions/{sid}/minutes", data={"csrf_token": token, "body": "审判员：核对身份。",
                                                       "action": "save"})
    assert resp.status_code == 302
    mediator = app.test_client()
    login(mediator, world.mediators[0].username)
    token = csrf_token(mediator, f"/sessions/{sid}/minutes")
    assert mediator.post(f"/sessions/{sid}/minutes", data={"csrf_token": token, "body": "x"}).status_code == 403
    # the party reads that the court is still writing, not the draft
    party = app.test_client()
    login(party, world.applicant.username)
    page = party.get(f"/sessions/{sid}/minutes").get_data(as_text=True)
    assert "The court is still writing the hearing record." in page and "核对身份" not in page
    assert 'id="minutes-body"' not in page
    # the court's review page links the record
    review = judge.get(f"/confirmations/{hearing.application.id}").get_data(as_text=True)
    assert f"/sessions/{sid}/minutes" in review


def test_the_record_over_the_api(client: FlaskClient, world: World, hearing: Hearing) -> None:
    sid = hearing.session.id
    clerk, party = api_token(client, "clerk"), api_token(client, world.applicant.username)
    resp = client.put(f"/api/v1/sessions/{sid}/minutes", json={"body": "书记员：宣布询问开始。"}, headers=clerk)
    assert resp.status_code == 200 and resp.get_json()["status"] == "draft"
    assert client.get(f"/api/v1/sessions/{sid}/minutes", headers=clerk).get_json()["total"] == 1
    assert client.get(f"/api/v1/sessions/{sid}/minutes", headers=party).get_json()["total"] == 0
    mediator = api_token(client, world.mediators[0].username)
    assert client.put(f"/api/v1/sessions/{sid}/minutes", json={"body": "x"}, headers=mediator).status_code == 403
    resp = client.put(f"/api/v1/sessions/{sid}/minutes", json={"body": "书记员：宣布询问开始。", "submit": True},
                      headers=api_token(client, "judge"))
    assert resp.status_code == 200 and resp.get_json()["status"] == "confirming"
    mid = resp.get_json()["id"]
    assert client.post(f"/api/v1/minutes/{mid}/confirm", headers=party).status_code == 200
    assert client.post(f"/api/v1/minutes/{mid}/confirm", headers=clerk).status_code == 403


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_record_is_issued_as_the_courts_inquiry_record(world: World, hearing: Hearing, tmp_path: Path) -> None:
    record = svc.save_minutes(hearing.case, hearing.session, world.clerk,
                              "审判员：请双方确认协议内容。\n张三：确认。", submit=True)
    for party in (world.applicant, world.respondent):
        svc.confirm_minutes(record, party)
    doc = builders.issue_minutes(db.session.execute(select(Minutes)).scalar_one())
    db.session.commit()
    assert (doc.title, doc.issuer, doc.kind) == ("询问笔录", world.court.name, "minutes")
    path = tmp_path / "record.pdf"
    path.write_bytes(read_bytes(doc))
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                                  text=True).stdout.split())
    for needle in ("询问笔录", world.court.name, "审判员：王法官", "书记员：李书记员", "询问记录", "请双方确认协议内容"):
        assert needle in text, needle
    assert "调解员" not in text and "调解笔录" not in text


def test_the_court_issues_its_hearing_record_and_the_mediator_cannot(client: FlaskClient, world: World,
                                                                    hearing: Hearing) -> None:
    record = svc.save_minutes(hearing.case, hearing.session, world.judge, "审判员：双方是否自愿达成协议？", submit=True)
    body = {"kind": "minutes", "minutes_id": record.id}
    url = f"/api/v1/cases/{hearing.case.id}/documents"
    refused = client.post(url, json=body, headers=api_token(client, world.mediators[0].username))
    assert refused.status_code == 403, refused.get_json()
    issued = client.post(url, json=body, headers=api_token(client, world.judge.username))
    assert issued.status_code == 201, issued.get_json()
    info = client.get(f"/verify/{issued.get_json()['verify_code']}", headers={"Accept": "application/json"})
    assert info.get_json()["issuer"] == world.court.name
