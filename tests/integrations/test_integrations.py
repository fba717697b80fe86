"""Integration accounts: scoped, hashed, revocable tokens; every use audited; API source."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from odr.accounts.models import ApiToken
from odr.audit.models import AuditEvent
from odr.cases.models import Case
from odr.extensions import db
from odr.integrations.models import Integration
from tests.conftest import csrf_token, login

CASE = {"category": "neighbour", "facts": "A wall between two houses leans over the lane.",
        "claims": [{"description": "Repair the wall", "amount": "2000.00"}],
        "respondents": [{"kind": "person", "name": "李四", "phone": "13900000002"}]}

DIVERSION = {"applicants": [{"kind": "person", "name": "张三", "phone": "13900000001"}]}


def issue(client, world, scopes, court=True):
    """Create an integration through the admin page; returns (integration, raw token)."""
    login(client, "admin")
    token = csrf_token(client, "/admin/integrations/")
    resp = client.post("/admin/integrations/", data={
        "csrf_token": token, "name": "诸暨法院案件系统", "scopes": scopes,
        "court_id": str(world.court.id) if court else ""})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    raw = re.search(r'id="new-token">([^<]+)<', resp.get_data(as_text=True)).group(1)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/integrations/")})
    integration = db.session.execute(select(Integration)).scalars().one()
    return integration, raw


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def test_token_is_stored_hashed_and_shown_once(client, world):
    integration, raw = issue(client, world, ["cases:read", "cases:create_diversion"])
    row = db.session.execute(select(ApiToken).where(ApiToken.user_id == integration.user_id)).scalar_one()
    assert row.kind == "integration" and row.court_id == world.court.id
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert sorted(row.scopes) == ["cases:create_diversion", "cases:read"]
    login(client, "admin")
    page = client.get(f"/admin/integrations/{integration.id}").get_data(as_text=True)
    assert raw not in page and "cases:create_diversion" in page


def test_diversion_through_the_token_is_api_source_and_audited(client, world):
    integration, raw = issue(client, world, ["cases:read", "cases:create_diversion"])
    resp = client.post("/api/v1/cases", json={**CASE, "source": "court_diversion", **DIVERSION,
                                              "organization_id": world.county.id}, headers=bearer(raw))
    assert resp.status_code == 201, resp.get_json()
    case = db.session.get(Case, resp.get_json()["id"])
    assert case.source == "api" and case.court_id == world.court.id
    assert client.get(f"/api/v1/cases/{case.id}", headers=bearer(raw)).status_code == 200
    uses = db.session.execute(select(AuditEvent).where(AuditEvent.action == "token.use")).scalars().all()
    assert [u.after["method"] for u in uses] == ["POST", "GET"]
    assert all(u.actor_id == integration.user_id for u in uses)


def test_a_token_without_the_scope_is_refused(client, world):
    _integration, raw = issue(client, world, ["cases:read"])
    resp = client.post("/api/v1/cases", json={**CASE, "source": "court_diversion"}, headers=bearer(raw))
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "insufficient_scope"
    assert db.session.execute(select(Case)).first() is None
    assert client.get("/api/v1/stats", headers=bearer(raw)).get_json()["error"]["code"] == "insufficient_scope"
    assert client.get("/api/v1/cases", headers=bearer(raw)).status_code == 200


def test_a_revoked_token_gets_401(client, world):
    integration, raw = issue(client, world, ["cases:read"])
    assert client.get("/api/v1/cases", headers=bearer(raw)).status_code == 200
    login(client, "admin")
    token = db.session.execute(select(ApiToken).where(ApiToken.user_id == integration.user_id)).scalar_one()
    resp = client.post(f"/admin/integrations/{integration.id}/tokens/{token.id}/revoke",
                       data={"csrf_token": csrf_token(client, f"/admin/integrations/{integration.id}")})
    assert resp.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/admin/integrations/")})
    resp = client.get("/api/v1/cases", headers=bearer(raw))
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "invalid_token"
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "token.revoke")).scalar_one()


def test_login_tokens_and_sessions_are_not_limited_by_scopes(client, world):
    from tests.conftest import api_token

    resp = client.post("/api/v1/cases", json=CASE, headers=api_token(client, "applicant"))
    assert resp.status_code == 201
    assert db.session.get(Case, resp.get_json()["id"]).source == "self_filed"


def test_only_the_admin_manages_integrations(client, world):
    login(client, "orgadmin")
    assert client.get("/admin/integrations/").status_code == 403


def test_refused_form_keeps_what_was_typed(client, world):
    login(client, "admin")
    resp = client.post("/admin/integrations/", data={
        "csrf_token": csrf_token(client, "/admin/integrations/"), "name": "热线对接",
        "scopes": ["cases:create_diversion"], "court_id": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'value="热线对接"' in html
    assert db.session.execute(select(Integration)).first() is None


def test_webhook_deliveries_are_signed_retried_and_visible(client, world):
    from odr.integrations.models import Webhook
    from odr.integrations.webhooks import SIGNATURE_HEADER, verify
    from odr.notifications.dispatch import dispatch_due
    from odr.notifications.models import OutboxMessage
    from tests.integrations.receiver import receiver

    integration, raw = issue(client, world, ["cases:read", "cases:create_diversion"])
    with receiver() as rec:
        login(client, "admin")
        resp = client.post(f"/admin/integrations/{integration.id}/webhooks", data={
            "csrf_token": csrf_token(client, f"/admin/integrations/{integration.id}"),
            "url": rec.url, "events": ["case.status_changed"]})
        assert resp.status_code == 302
        hook = db.session.execute(select(Webhook)).scalar_one()
        resp = client.post("/api/v1/cases", json={**CASE, "source": "court_diversion", **DIVERSION,
                                                  "organization_id": world.county.id}, headers=bearer(raw))
        assert resp.status_code == 201, resp.get_json()
        queued = db.session.execute(select(OutboxMessage).where(OutboxMessage.channel == "webhook")).scalars().all()
        assert queued, "a status change must queue a delivery"
        rec.statuses = [503]
        assert dispatch_due()["retry"] >= 1  # the receiver is busy: retried later with backoff
        msg = db.session.get(OutboxMessage, queued[0].id)
        db.session.refresh(msg)
        assert msg.status == "pending" and msg.attempts == 1 and msg.next_attempt_at is not None
        assert "503" in msg.last_error
        msg.next_attempt_at = None
        db.session.commit()
        assert dispatch_due()["sent"] >= 1
        delivered = rec.requests[-1]
        assert verify(hook.secret, delivered["headers"][SIGNATURE_HEADER], delivered["body"])
        assert not verify("wrong-secret", delivered["headers"][SIGNATURE_HEADER], delivered["body"])
        assert '"type": "case.status_changed"' in delivered["body"]
        page = client.get(f"/admin/integrations/{integration.id}").get_data(as_text=True)
        assert "200 ok" in page and "case.status_changed" in page, page[page.find("<main"):][:4000]
