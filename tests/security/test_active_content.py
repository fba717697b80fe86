"""Uploads of HTML or SVG carrying scripts are never stored or served inline, whatever their
name says; every download is an attachment with nosniff; pages carry the security headers."""

from __future__ import annotations

import io

import pytest

from tests.case_factories import case_in_mediation
from tests.conftest import api_token

SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>fetch('/api/v1/me')</script></body></html>"


@pytest.mark.parametrize("name,data", [("a.svg", SVG), ("a.html", HTML), ("photo.png", HTML),
                                       ("scan.pdf", SVG), ("note.txt", HTML)])
def test_active_content_is_refused(client, world, name, data):
    case = case_in_mediation(world)
    headers = api_token(client, world.applicant.username)
    resp = client.post(f"/api/v1/cases/{case.id}/evidence", headers=headers, content_type="multipart/form-data",
                       data={"title": name, "file": (io.BytesIO(data), name)})
    assert resp.status_code == 415, (name, resp.get_json())
    body = resp.get_json()["error"]
    assert body["code"] and "PDF" in str(body)  # the message lists the allowed types
    listing = client.get(f"/api/v1/cases/{case.id}/evidence", headers=headers).get_json()
    assert listing["total"] == 0 if isinstance(listing, dict) else listing == []


def test_downloads_are_attachments_with_nosniff(client, world):
    case = case_in_mediation(world)
    headers = api_token(client, world.applicant.username)
    resp = client.post(f"/api/v1/cases/{case.id}/evidence", headers=headers, content_type="multipart/form-data",
                       data={"title": "t", "file": (io.BytesIO("纯文本证据".encode()), "e.txt")})
    assert resp.status_code == 201
    content = client.get(f"/api/v1/evidence/{resp.get_json()['id']}/content", headers=headers)
    assert content.status_code == 200
    assert content.headers["Content-Disposition"].startswith("attachment")
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in content.headers["Content-Security-Policy"]  # a download never runs as a page
