"""One-time signing codes (ODR_SIGNING_CODE_CHANNELS): sent by a real SMTP server
(aiosmtpd on 127.0.0.1) or the recording SMS provider, checked with the password."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import func, select

from odr.accounts.models import User
from odr.agreements import codes
from odr.agreements.models import Agreement, Signature, SigningCode
from odr.audit.models import AuditEvent
from odr.core.errors import BadInput
from odr.core.time import now
from odr.extensions import db
from odr.notifications.channels import sms_provider
from odr.notifications.models import OutboxMessage
from tests.agreements.helpers import draft, mediation_case, sign
from tests.conftest import api_token, csrf_token, login
from tests.factories import PASSWORD
from tests.scheduling.helpers import Inbox, start_smtp


@pytest.fixture()
def smtp(app: Flask) -> Iterator[Inbox]:
    controller, inbox = start_smtp(app)
    yield inbox
    controller.stop()


@pytest.fixture()
def email_codes(app: Flask, smtp: Inbox) -> Inbox:
    app.config["SIGNING_CODE_CHANNELS"] = "email"
    return smtp


def _plain(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")


class Signer:
    """One API login (the token endpoint is rate limited per account) for asking and signing."""

    def __init__(self, client: Any, username: str, agreement_id: int) -> None:
        self.client, self.agreement_id = client, agreement_id
        self.headers = api_token(client, username)

    def ask(self) -> Any:
        return self.client.post(f"/api/v1/agreements/{self.agreement_id}/sign-code", headers=self.headers)

    def sign(self, **body: Any) -> Any:
        return self.client.post(f"/api/v1/agreements/{self.agreement_id}/sign",
                                json={"password": PASSWORD, **body}, headers=self.headers)


def _code_from(inbox: Inbox, address: str, index: int = -1) -> str:
    text = _plain(inbox.to(address)[index])
    found = re.findall(r"(?<!\d)\d{6}(?!\d)", text)
    assert found, text
    return found[0]


def _failures(reason: str | None = None) -> list[dict[str, Any]]:
    rows = db.session.scalars(select(AuditEvent.after).where(AuditEvent.action == "agreement.sign_code_failed")).all()
    return [r for r in rows if reason is None or r["reason"] == reason]


def test_code_arrives_by_email_and_signs_with_the_password(client, world, email_codes):
    case = mediation_case(world)
    agreement = draft(client, world, case)
    applicant = Signer(client, "applicant", agreement["id"])
    resp = applicant.ask()
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["channels"] == ["email"] and body["sent_to"] == ["ap***@example.com"]
    assert body["expires_at"] > body["resend_after"]

    [mail] = email_codes.to(world.applicant.email)
    text = _plain(mail)
    code = _code_from(email_codes, world.applicant.email)
    # what is being signed: the case number and the version's fingerprint
    assert case.number in text and agreement["content_hash"][:12] in text
    assert "Message-ID" in mail and "odr-outbox-signing-code-" in mail["Message-ID"]

    # only a keyed hash is stored; the code is in no table (outbox, audit)
    row = db.session.scalars(select(SigningCode)).one()
    assert row.code_hash != code and code not in row.code_hash and row.content_hash == agreement["content_hash"]
    assert not any(code in m.body for m in db.session.scalars(select(OutboxMessage)))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "agreement.sign_code")).all()
    assert len(events) == 1 and events[0].after["channels"] == ["email"]
    assert code not in json.dumps([e.after for e in db.session.scalars(select(AuditEvent))])

    missing = applicant.sign()
    assert missing.status_code == 400
    error = missing.get_json()["error"]
    assert error["code"] == "code_required" and "code" in error["fields"]
    assert db.session.scalar(select(func.count(Signature.id))) == 0

    signed = applicant.sign(code=code, content_hash=agreement["content_hash"])
    assert signed.status_code == 200, signed.get_json()
    assert [s["role"] for s in signed.get_json()["signatures"]] == ["party"]
    db.session.expire_all()
    assert db.session.get(SigningCode, row.id).outcome == "used"
    sign_event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "agreement.sign")).one()
    assert sign_event.after["verified_by"] == ["password", "code"]


def test_wrong_codes_are_counted_and_the_fifth_locks_the_code(client, world, email_codes):
    case = mediation_case(world)
    agreement = draft(client, world, case)
    respondent = Signer(client, "respondent", agreement["id"])
    assert respondent.ask().status_code == 200
    code = _code_from(email_codes, world.respondent.email)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    first = respondent.sign(code=wrong)
    assert first.status_code == 400
    assert first.get_json()["error"]["code"] == "code_wrong" and "4" in first.get_json()["error"]["fields"]["code"]
    assert db.session.scalars(select(SigningCode)).one().attempts == 1
    malformed = respondent.sign(code="12ab")
    assert malformed.status_code == 400 and malformed.get_json()["error"]["code"] == "code_malformed"
    for _ in range(4):
        assert respondent.sign(code=wrong).status_code == 400
    db.session.expire_all()
    row = db.session.scalars(select(SigningCode)).one()
    assert row.attempts == 5 and row.outcome == "locked"
    # now even the right code is refused: a new code is needed
    locked = respondent.sign(code=code)
    assert locked.status_code == 400 and locked.get_json()["error"]["code"] == "code_locked"
    assert db.session.scalar(select(func.count(Signature.id))) == 0
    assert len(_failures("wrong")) == 5 and len(_failures("locked")) == 1
    assert all(code not in json.dumps(f) and wrong not in json.dumps(f) for f in _failures())

    # a new code is refused within the minute, then sent, and it signs
    again = respondent.ask()
    assert again.status_code == 429 and again.get_json()["error"]["code"] == "rate_limited"
    with time_machine.travel(now() + timedelta(seconds=61)):
        assert respondent.ask().status_code == 200
        fresh = _code_from(email_codes, world.respondent.email)
        assert respondent.sign(code=fresh).status_code == 200


def test_an_expired_code_is_refused(client, world, email_codes):
    case = mediation_case(world)
    agreement = draft(client, world, case)
    applicant = Signer(client, "applicant", agreement["id"])
    with time_machine.travel(now() - timedelta(minutes=11)):
        assert applicant.ask().status_code == 200
    code = _code_from(email_codes, world.applicant.email)
    resp = applicant.sign(code=code)
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "code_expired" and "code" in error["fields"]
    assert db.session.scalar(select(func.count(Signature.id))) == 0
    assert len(_failures("expired")) == 1


def test_a_code_works_once_for_its_signer_and_version_only(app, client, world, email_codes):
    case = mediation_case(world)
    v1 = draft(client, world, case)
    assert Signer(client, "applicant", v1["id"]).ask().status_code == 200
    code = _code_from(email_codes, world.applicant.email)
    # another signer cannot use it
    foreign = sign(client, "respondent", v1["id"], code=code)
    assert foreign.status_code == 400 and foreign.get_json()["error"]["code"] == "code_missing"
    assert sign(client, "applicant", v1["id"], code=code).status_code == 200
    # spent: the service refuses it a second time
    db.session.expire_all()
    agreement = db.session.get(Agreement, v1["id"])
    applicant = db.session.get(User, world.applicant.id)
    with app.test_request_context("/"), pytest.raises(BadInput) as refused:
        codes.check(agreement, applicant, code)
    assert refused.value.code == "code_used"

    # a new version needs a new code: the old one is bound to v1
    v2 = draft(client, world, case, performance="分两期履行。")
    stale = sign(client, "applicant", v2["id"], code=code)
    assert stale.status_code == 400 and stale.get_json()["error"]["code"] == "code_missing"


def test_without_configuration_the_password_alone_signs(client, world):
    case = mediation_case(world)
    agreement = draft(client, world, case)
    refused = Signer(client, "applicant", agreement["id"]).ask()
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "codes_not_enabled"
    assert sign(client, "applicant", agreement["id"]).status_code == 200
    assert db.session.scalar(select(func.count(SigningCode.id))) == 0
    login(client, "respondent")
    page = client.get(f"/agreements/{agreement['id']}/sign").get_data(as_text=True)
    assert 'name="code"' not in page and "sign-code" not in page


def test_code_by_sms_and_on_the_web_page(app, client, world):
    app.config["SIGNING_CODE_CHANNELS"] = "sms"
    case = mediation_case(world)
    agreement = draft(client, world, case)
    login(client, "respondent")
    page = client.get(f"/agreements/{agreement['id']}/sign").get_data(as_text=True)
    assert 'name="code"' in page and f"/agreements/{agreement['id']}/sign-code" in page
    token = csrf_token(client, f"/agreements/{agreement['id']}/sign")
    sent = client.post(f"/agreements/{agreement['id']}/sign-code", data={"csrf_token": token})
    assert sent.status_code == 302
    [sms] = [m for m in sms_provider().sent if m.to == world.respondent.phone]
    code = re.search(r"(?<!\d)\d{6}(?!\d)", sms.text).group(0)
    assert case.number in sms.text and len(sms.text) <= 300
    notice = client.get(f"/agreements/{agreement['id']}/sign").get_data(as_text=True)
    assert world.respondent.phone[-4:] in notice and world.respondent.phone not in notice  # masked

    form = {"csrf_token": token, "password": PASSWORD, "content_hash": agreement["content_hash"]}
    wrong = client.post(f"/agreements/{agreement['id']}/sign", data={**form, "code": "000000" if code != "000000"
                                                                      else "111111"})
    assert wrong.status_code == 400 and 'class="field-error"' in wrong.get_data(as_text=True)
    ok = client.post(f"/agreements/{agreement['id']}/sign", data={**form, "code": code})
    assert ok.status_code == 302
    assert db.session.scalars(select(Signature)).one().user_id == world.respondent.id


def test_sign_code_is_in_the_openapi_description(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/agreements/{agreement_id}/sign-code"]["post"]
    assert "429" in operation["responses"] or 429 in operation["responses"]
    sign_body = json.dumps(spec["paths"]["/api/v1/agreements/{agreement_id}/sign"]["post"])
    assert "signature_image" in sign_body and '"code"' in sign_body
