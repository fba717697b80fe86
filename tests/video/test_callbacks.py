"""Signed callbacks from the media server: events onto the timeline, recordings into evidence."""

from __future__ import annotations

import hashlib
import json
import os
import time

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from mediation.protocol import CALLBACK_SIGNATURE_HEADER, event_body, recording_signed_bytes, sign_callback
from odr.accounts import policy
from odr.audit.models import AuditEvent
from odr.core.storage import get_storage
from odr.evidence.models import Evidence
from odr.extensions import db
from odr.scheduling.models import MediationSession
from tests.factories import World
from tests.video.conftest import Booked

WEBM = b"\x1a\x45\xdf\xa3" + b"\x9f\x42\x86\x81\x01" + os.urandom(300_000)


def _post_event(client: FlaskClient, secret: str, body: bytes, signature: str | None = None) -> object:
    headers = {"Content-Type": "application/json",
               CALLBACK_SIGNATURE_HEADER: signature if signature is not None else sign_callback(secret, body)}
    return client.post("/media/events", data=body, headers=headers)


def _events(case_id: int) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                   .order_by(AuditEvent.id)).scalars())


def _session(booked: Booked) -> MediationSession:
    db.session.expire_all()
    return db.session.get(MediationSession, booked.session.id)


def test_room_events_land_on_the_timeline_and_move_the_session(app: Flask, client: FlaskClient, world: World,
                                                               booked: Booked) -> None:
    secret, sid, cid = app.config["MEDIA_SECRET"], booked.session.id, booked.case.id
    before = len(_events(cid))
    joined = event_body("participant_joined", sid, case_id=cid, participant_id="p-1",
                        user_id=world.applicant.id, display_name=world.applicant.display_name,
                        role="party", side="applicant")
    resp = _post_event(client, secret, joined)
    assert resp.status_code == 200, resp.get_json()
    session = _session(booked)
    assert session.status == "live" and session.started_at is not None
    for body in (event_body("admitted", sid, case_id=cid, participant_id="p-1", user_id=world.applicant.id,
                            by=world.mediators[0].id),
                 event_body("caucus_started", sid, case_id=cid, participant_ids=["p-1"], user_ids=[world.applicant.id]),
                 event_body("caucus_ended", sid, case_id=cid),
                 event_body("recording_started", sid, case_id=cid, file="x.webm"),
                 event_body("recording_stopped", sid, case_id=cid, reason="stopped"),
                 event_body("participant_left", sid, case_id=cid, participant_id="p-1", user_id=world.applicant.id),
                 event_body("room_ended", sid, case_id=cid, reason="ended")):
        assert _post_event(client, secret, body).status_code == 200
    events = _events(cid)[before:]
    actions = [e.action for e in events]
    assert actions == ["session.participant_joined", "session.live", "session.participant_admitted",
                       "session.caucus_started", "session.caucus_ended", "session.recording_started",
                       "session.recording_stopped", "session.participant_left", "session.room_ended",
                       "session.ended"]
    assert events[0].actor_id == world.applicant.id and events[0].after["side"] == "applicant"
    assert events[2].actor_id == world.mediators[0].id
    session = _session(booked)
    assert session.status == "ended" and session.ended_at is not None


def test_a_bad_signature_is_401_and_changes_nothing(app: Flask, client: FlaskClient, world: World,
                                                   booked: Booked) -> None:
    secret, sid, cid = app.config["MEDIA_SECRET"], booked.session.id, booked.case.id
    body = event_body("room_ended", sid, case_id=cid, reason="forged")
    total = db.session.execute(select(func.count(AuditEvent.id))).scalar()
    for signature in ("", "t=1,v1=00", sign_callback("another-secret", body),
                      sign_callback(secret, body, now=time.time() - 3600),
                      sign_callback(secret, body + b" ")):
        resp = _post_event(client, secret, body, signature)
        assert resp.status_code == 401, signature
        assert resp.get_json()["error"]["code"] == "bad_signature"
    tampered = body.replace(b"forged", b"forgex")
    assert _post_event(client, secret, tampered, sign_callback(secret, body)).status_code == 401
    db.session.expire_all()
    assert db.session.execute(select(func.count(AuditEvent.id))).scalar() == total
    assert _session(booked).status == "booked"


def test_an_event_for_another_case_or_no_session_is_refused(app: Flask, client: FlaskClient,
                                                            booked: Booked) -> None:
    secret, sid = app.config["MEDIA_SECRET"], booked.session.id
    assert _post_event(client, secret, event_body("room_ended", sid, case_id=booked.case.id + 1)).status_code == 400
    assert _post_event(client, secret, event_body("room_ended", 987654, case_id=1)).status_code == 404
    assert _session(booked).status == "booked"


def _post_recording(client: FlaskClient, secret: str, session_id: int, data: bytes, claimed: str | None = None,
                    signature: str | None = None) -> object:
    import io

    claimed = claimed or hashlib.sha256(data).hexdigest()
    form = {"session_id": str(session_id), "sha256": claimed, "started_at": "2026-05-01T02:00:00+00:00",
            "ended_at": "2026-05-01T02:40:00+00:00", "file": (io.BytesIO(data), "session-1.webm", "video/webm")}
    signed = recording_signed_bytes(form["session_id"], claimed, form["started_at"], form["ended_at"])
    sig = signature if signature is not None else sign_callback(secret, signed)
    return client.post("/media/recordings", data=form, content_type="multipart/form-data",
                       headers={CALLBACK_SIGNATURE_HEADER: sig})


def _stored_files(app: Flask) -> list:
    storage = get_storage()
    return [p for p in storage.leftovers() if p.relative_to(storage.root).parts[0] != "tmp"]


def test_a_recording_becomes_case_evidence_with_its_hash_verified(app: Flask, client: FlaskClient,
                                                                 world: World, booked: Booked) -> None:
    secret = app.config["MEDIA_SECRET"]
    resp = _post_recording(client, secret, booked.session.id, WEBM)
    assert resp.status_code == 201, resp.get_json()
    digest = hashlib.sha256(WEBM).hexdigest()
    assert resp.get_json()["sha256"] == digest
    db.session.expire_all()
    ev = db.session.get(Evidence, resp.get_json()["id"])
    assert (ev.kind, ev.case_id, ev.session_id, ev.size, ev.media_type) == (
        "recording", booked.case.id, booked.session.id, len(WEBM), "video/webm")
    assert b"".join(get_storage().iter_chunks(ev.storage_key)) == WEBM
    for user in (world.applicant, world.respondent, world.mediators[0]):
        assert policy.can(user, "evidence.view", ev) and policy.visible(user, ev)
    assert not policy.visible(world.outsider, ev)
    assert any(e.action == "session.recording_stored" for e in _events(booked.case.id))
    # the media server retries: the same delivery finds the same record and stores nothing new
    again = _post_recording(client, secret, booked.session.id, WEBM)
    assert again.status_code == 201 and again.get_json()["id"] == ev.id
    assert len(_stored_files(app)) == 1


def test_a_recording_that_does_not_match_its_signature_leaves_nothing(app: Flask, client: FlaskClient,
                                                                      booked: Booked) -> None:
    secret = app.config["MEDIA_SECRET"]
    other = hashlib.sha256(b"something else").hexdigest()
    mismatch = _post_recording(client, secret, booked.session.id, WEBM, claimed=other)
    assert mismatch.status_code == 400 and mismatch.get_json()["error"]["code"] == "hash_mismatch"
    forged = _post_recording(client, secret, booked.session.id, WEBM, signature=sign_callback("wrong", b"x"))
    assert forged.status_code == 401
    unsigned = _post_recording(client, secret, booked.session.id, WEBM, signature="")
    assert unsigned.status_code == 401
    not_webm = _post_recording(client, secret, booked.session.id, b"%PDF-1.7 not a recording")
    assert not_webm.status_code == 415
    db.session.expire_all()
    assert db.session.execute(select(func.count(Evidence.id))).scalar() == 0
    assert get_storage().leftovers() == []  # no partial file either
    assert not any(e.action == "session.recording_stored" for e in _events(booked.case.id))


def test_event_json_shape_is_what_the_media_server_sends(app: Flask, booked: Booked) -> None:
    body = json.loads(event_body("room_ended", booked.session.id, case_id=booked.case.id))
    assert {"event", "session_id", "at", "case_id"} <= set(body)


def test_a_recording_signed_for_another_session_is_refused(app: Flask, client: FlaskClient, world: World,
                                                          booked: Booked) -> None:
    """The signature covers the session id and times with the hash: re-filing a captured
    delivery under another session fails."""
    secret = app.config["MEDIA_SECRET"]
    claimed = hashlib.sha256(WEBM).hexdigest()
    other = recording_signed_bytes(booked.session.id + 1, claimed, "2026-05-01T02:00:00+00:00",
                                   "2026-05-01T02:40:00+00:00")
    resp = _post_recording(client, secret, booked.session.id, WEBM, signature=sign_callback(secret, other))
    assert resp.status_code == 401
    assert not _stored_files(app)
