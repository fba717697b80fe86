"""Every state-changing web form refuses a request without the CSRF token, and changes nothing.

Walks every non-API URL rule that accepts POST/PUT/PATCH/DELETE, logged in as each kind of
staff and party, and posts without a token. The only exceptions are the media server's
callbacks, which are authenticated by an HMAC signature instead (they must answer 401).
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from odr.audit.models import AuditEvent
from odr.extensions import db
from tests.conftest import login
from tests.factories import World

SIGNED_CALLBACKS = re.compile(r"^/media/")
#: public checks that change nothing (comparing an uploaded PDF with the issued one)
READ_ONLY_POSTS = re.compile(r"^/verify/")


def _url(rule) -> str:
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", rule.rule)


def test_no_form_accepts_a_post_without_csrf(app, world: World) -> None:
    rules = [r for r in app.url_map.iter_rules()
             if not r.rule.startswith("/api/") and r.endpoint != "static"
             and r.methods & {"POST", "PUT", "PATCH", "DELETE"}]
    assert rules, "no state-changing web rules found"
    events_before = db.session.execute(select(func.count(AuditEvent.id))).scalar_one()
    problems = []
    for username in (world.applicant.username, world.org_admin.username, world.mediators[0].username,
                     world.judge.username, world.admin.username):
        client = app.test_client()
        assert login(client, username).status_code == 302
        for rule in rules:
            for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
                resp = client.open(_url(rule), method=method, data={"reason": "x", "decision": "accept"})
                expected = {401} if SIGNED_CALLBACKS.match(rule.rule) else {400}
                if READ_ONLY_POSTS.match(rule.rule):
                    expected = {400, 404}
                if resp.status_code not in expected:
                    problems.append(f"{method} {rule.rule} as {username} → {resp.status_code}")
    assert not problems, "\n".join(problems)
    logins = db.session.execute(select(func.count(AuditEvent.id)).where(AuditEvent.action == "user.login")).scalar_one()
    events_after = db.session.execute(select(func.count(AuditEvent.id))).scalar_one()
    assert events_after - events_before == logins  # nothing but the logins themselves was recorded


def test_api_with_a_browser_session_needs_the_csrf_header(app, world: World) -> None:
    client = app.test_client()
    login(client, world.admin.username)
    resp = client.post("/api/v1/courts", json={"name": "x", "code": "浙0683", "region_code": "330681"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "csrf_failed"
