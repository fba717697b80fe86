"""Registration, login, identity numbers, CSRF, rate limiting, tokens, errors, language."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from odr.accounts.identity import valid_credit_code, valid_id_number
from odr.accounts.models import User
from odr.audit.models import AuditEvent
from odr.extensions import db
from tests.conftest import api_token, csrf_token, login
from tests.factories import PASSWORD, make_id_number


def test_check_digits_from_the_standards():
    assert valid_id_number("11010519491231002X")
    assert not valid_id_number("110105194912310021")  # wrong check character
    assert not valid_id_number("11010519491331002X")  # month 13
    assert not valid_id_number("1101051949123100")
    assert valid_credit_code("91350100M000100Y43")
    assert not valid_credit_code("91350100M000100Y44")
    assert not valid_credit_code("91350100M000100Y4")


def _register(client, lang="en", **fields):
    client.get(f"/lang/{lang}")
    data = {"username": "newparty", "password": "long-enough-1", "display_name": "赵六",
            "id_number": "11010519491231002X", "phone": "13800000000", "email": ""}
    data.update(fields)
    data["csrf_token"] = csrf_token(client, "/register")
    return client.post("/register", data=data)


def test_register_log_out_and_in(client, app):
    resp = _register(client)
    assert resp.status_code == 302
    user = db.session.execute(select(User).where(User.username == "newparty")).scalar_one()
    assert user.role == "party" and user.password_hash.startswith("$argon2id$")
    assert "long-enough-1" not in user.password_hash
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert 'data-role="party"' not in client.get("/").get_data(as_text=True)
    assert login(client, "newparty", "long-enough-1").status_code == 302


@pytest.mark.parametrize("field,value,message", [
    ("id_number", "110105194912310021", "not valid"),
    ("username", "x", "3–64"),
    ("password", "short", "8 to 128"),
    ("display_name", "名" * 101, "100"),
    ("phone", "", "phone number or an e-mail"),
])
def test_register_refuses_bad_input_and_keeps_what_was_typed(client, app, field, value, message):
    resp = _register(client, **{field: value, "email": "" if field == "phone" else ""})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert message in body
    assert 'value="赵六"' in body or field == "display_name"  # the form keeps what was typed
    assert db.session.execute(select(func.count(User.id))).scalar_one() == 0


def test_duplicate_username_is_refused(client, world):
    resp = _register(client, username="applicant")
    assert resp.status_code == 400 and "taken" in resp.get_data(as_text=True)


def test_chinese_is_the_default_language_and_english_switches(client, world):
    page = client.get("/register").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "注册" in page and "Register as a party" not in page
    resp = _register(client, lang="zh", username="x")
    assert resp.status_code == 400 and "请修改标记的字段" in resp.get_data(as_text=True)
    client.get("/lang/en")
    assert "Register as a party" in client.get("/register").get_data(as_text=True)
    json_error = client.get("/api/v1/nothing", headers={"Accept-Language": "zh-CN"}).get_json()
    assert json_error["error"]["code"] == "not_found"


def test_form_without_csrf_token_is_refused_and_changes_nothing(client, world):
    client.get("/lang/en")
    resp = client.post("/register", data={"username": "sneaky", "password": "long-enough-1",
                                          "display_name": "x", "id_number": make_id_number(9)})
    assert resp.status_code == 400
    assert "security token" in resp.get_data(as_text=True) or "安全" in resp.get_data(as_text=True)
    assert db.session.execute(select(User).where(User.username == "sneaky")).first() is None


def test_wrong_password_then_rate_limited(client, world):
    for _ in range(10):
        resp = login(client, "applicant", "wrong-password")
        assert resp.status_code == 200
    resp = login(client, "applicant", PASSWORD)
    assert resp.status_code == 429


def test_login_rotates_the_session(client, world):
    client.get("/login")
    before = client.get_cookie("session").value
    login(client, "applicant")
    after = client.get_cookie("session").value
    assert before != after
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "user.login")).first()


def test_session_cookie_flags(client, world):
    resp = client.get("/login")
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_api_token_me_and_errors(client, world):
    headers = api_token(client, "judge")
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["roles"] == ["judge"] and me["display_name"] == "王法官"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_token"
    wrong = client.post("/api/v1/auth/token", json={"username": "judge", "password": "x"})
    assert wrong.status_code == 401 and "error" in wrong.get_json()
    malformed = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert malformed.status_code == 400
    assert malformed.get_json()["error"]["code"] == "malformed_json"
    unknown = client.post("/api/v1/auth/token", json={"username": "judge", "password": "x", "extra": 1})
    assert unknown.status_code == 400 and "extra" in unknown.get_json()["error"]["fields"]
    assert client.get("/api/v1/nothing-here").get_json()["error"]["code"] == "not_found"


def test_api_registration_validates(client, app):
    resp = client.post("/api/v1/users", json={"username": "apiparty", "password": "long-enough-1",
                                              "display_name": "钱七", "id_number": "123", "phone": "13800000000"})
    assert resp.status_code == 400
    assert "id_number" in resp.get_json()["error"]["fields"]
    resp = client.post("/api/v1/users", json={"username": "apiparty", "password": "long-enough-1",
                                              "display_name": "钱七", "id_number": "11010519491231002X",
                                              "email": "qian@example.com"})
    assert resp.status_code == 201 and resp.get_json()["roles"] == ["party"]


def test_staff_and_courts_need_rights(client, world):
    party = api_token(client, "applicant")
    resp = client.post("/api/v1/courts", json={"name": "x", "code": "浙0682", "region_code": "330681"}, headers=party)
    assert resp.status_code == 403
    org_admin = api_token(client, "orgadmin")
    resp = client.post("/api/v1/staff", headers=org_admin, json={
        "username": "newmed", "password": PASSWORD, "display_name": "新调解员", "role": "mediator",
        "specialties": ["family"]})
    assert resp.status_code == 201
    resp = client.post("/api/v1/staff", headers=org_admin, json={
        "username": "newmed2", "password": PASSWORD, "display_name": "x", "role": "mediator",
        "organization_id": world.town.id})
    assert resp.status_code == 403
    resp = client.post("/api/v1/staff", headers=org_admin, json={
        "username": "newjudge", "password": PASSWORD, "display_name": "x", "role": "judge",
        "court_id": world.court.id})
    assert resp.status_code == 403


def test_admin_creates_court_and_organization_with_checked_codes(client, world):
    admin = api_token(client, "admin")
    resp = client.post("/api/v1/courts", headers=admin,
                       json={"name": "越城区人民法院", "code": "浙0602", "region_code": "330602"})
    assert resp.status_code == 201
    resp = client.post("/api/v1/organizations", headers=admin, json={
        "name": "x", "kind": "peoples_committee", "level": "town", "region_code": "999999",
        "credit_code": "91350100M000100Y44"})
    assert resp.status_code == 400
    fields = resp.get_json()["error"]["fields"]
    assert "credit_code" in fields and "region_code" in fields


def test_error_pages_and_health(client, app):
    assert "未找到页面或记录" in client.get("/no-such-page").get_data(as_text=True)
    client.get("/lang/en")
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and "<html" in resp.get_data(as_text=True)
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_security_headers(client, app):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_create_admin_command(app):
    result = app.test_cli_runner().invoke(args=["odr", "create-admin", "--username", "root2", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    assert db.session.execute(select(User).where(User.username == "root2")).scalar_one().role == "admin"
    again = app.test_cli_runner().invoke(args=["odr", "create-admin", "--username", "root2", "--password", "long-enough-1"])
    assert again.exit_code == 1 and "refused" in again.output and "username" in again.output
