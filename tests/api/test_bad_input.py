"""Bad input gets API.md's error shape with the right status, never a 500."""

from __future__ import annotations

from tests.conftest import api_token, login


def _error(resp, status, code=None):
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


USER = {"username": "newparty", "password": "correct-horse-9", "display_name": "新当事人",
        "id_number": "11010519491231002X"}


def test_malformed_json_is_400(client, world):
    resp = client.post("/api/v1/users", data=b'{"username": ', content_type="application/json")
    _error(resp, 400, "malformed_json")


def test_wrong_types_and_unknown_fields_name_each_field(client, world):
    err = _error(client.post("/api/v1/users", json={**USER, "username": 12, "role": "admin"}), 400)
    assert set(err["fields"]) == {"username", "role"}
    err = _error(client.get("/api/v1/stats?from=yesterday&category=nonsense",
                            headers=api_token(client, "admin")), 400)
    assert set(err["fields"]) == {"from", "category"}


def test_a_body_that_is_not_an_object_is_400(client, world):
    _error(client.post("/api/v1/users", json=[1, 2, 3]), 400)
    _error(client.post("/api/v1/users", json="text"), 400)


def test_huge_body_is_413(client, world):
    huge = b'{"username": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    _error(client.post("/api/v1/users", data=huge, content_type="application/json"), 413, "too_large")


def test_wrong_content_type_is_415(client, world):
    _error(client.post("/api/v1/users", data="username=x", content_type="application/x-www-form-urlencoded"), 415)


def test_no_or_bad_credentials_is_401(client, world):
    _error(client.get("/api/v1/stats"), 401)
    _error(client.get("/api/v1/stats", headers={"Authorization": "Bearer odr_nonsense"}), 401, "invalid_token")


def test_bearer_wins_over_a_stale_anonymous_session(client, world):
    """A client that kept an anonymous session cookie can still use its token."""
    login(client, "admin")
    client.post("/logout", data={"csrf_token": _csrf(client)})
    assert client.get_cookie("session") is not None
    assert client.get("/api/v1/me", headers=api_token(client, "judge")).get_json()["username"] == "judge"


def _csrf(client):
    from tests.conftest import csrf_token

    return csrf_token(client, "/login")


def test_stats_scoping_refusals(client, world):
    _error(client.get("/api/v1/stats", headers=api_token(client, "applicant")), 403)
    _error(client.get("/api/v1/stats", headers=api_token(client, "mediator")), 403)
    town = api_token(client, "townadmin")
    _error(client.get(f"/api/v1/stats?organization_id={world.county.id}", headers=town), 403)
    assert client.get(f"/api/v1/stats?organization_id={world.village.id}", headers=town).status_code == 200
    judge = api_token(client, "judge")
    _error(client.get("/api/v1/stats?organization_id=999999", headers=judge), 404)
    _error(client.get("/api/v1/stats?from=2025-02-01&to=2025-01-01", headers=judge), 400)
    _error(client.get("/api/v1/stats?court_id=99999999999", headers=judge), 400)


def test_dashboard_refuses_parties_and_keeps_typed_filters(client, world):
    login(client, "applicant")
    assert client.get("/stats/").status_code == 403
    login(client, "orgadmin")
    resp = client.get("/stats/?from=not-a-date&category=family")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'value="not-a-date"' in html and "field-error" in html
