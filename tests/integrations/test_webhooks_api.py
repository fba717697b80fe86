"""An integration registers its webhook through the API with its own token."""

from __future__ import annotations

from tests.conftest import api_token
from tests.integrations.test_integrations import bearer, issue


def test_integration_registers_and_lists_its_webhooks(client, world):
    _integration, raw = issue(client, world, ["cases:read", "webhooks:manage"])
    resp = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook",
                                                 "events": ["case.status_changed", "ruling.issued"]},
                       headers=bearer(raw))
    assert resp.status_code == 201, resp.get_json()
    hook = resp.get_json()
    assert hook["events"] == ["case.status_changed", "ruling.issued"] and len(hook["secret"]) >= 32
    listed = client.get("/api/v1/webhooks", headers=bearer(raw)).get_json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    deliveries = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=bearer(raw))
    assert deliveries.status_code == 200 and deliveries.get_json()["total"] == 0
    assert client.get("/api/v1/webhooks/99999/deliveries", headers=bearer(raw)).status_code == 404


def test_webhook_bad_input_and_missing_scope(client, world):
    _integration, raw = issue(client, world, ["cases:read", "webhooks:manage"])
    resp = client.post("/api/v1/webhooks", json={"url": "ftp://x", "events": ["nope"], "extra": 1},
                       headers=bearer(raw))
    assert resp.status_code == 400 and set(resp.get_json()["error"]["fields"]) == {"url", "events.0", "extra"}
    other = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/h", "events": ["document.issued"]},
                        headers=api_token(client, "applicant"))
    assert other.status_code == 403


def test_a_token_without_webhooks_scope_cannot_register(client, world):
    _integration, raw = issue(client, world, ["cases:read"])
    resp = client.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/h", "events": ["document.issued"]},
                       headers=bearer(raw))
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "insufficient_scope"
