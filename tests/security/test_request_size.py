"""Every request body is capped except the streamed uploads, which apply their own limit.

Without a cap, the app-wide CSRF check reads any POSTed form before login or policy and
spools an unbounded multipart body to disk; a stranger could fill the disk that way.
"""

from __future__ import annotations

import io

from odr.evidence.models import Evidence
from odr.extensions import db
from tests.case_factories import case_in_mediation
from tests.conftest import api_token

PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 500 + b"%%EOF\n"


def test_an_oversized_form_is_refused_before_anything_reads_it(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    resp = client.post("/login", data={"username": "x", "password": "y", "blob": "a" * (100 * 1024)})
    assert resp.status_code == 413
    resp = client.post("/api/v1/auth/token", data=b"{" + b" " * (100 * 1024) + b"}",
                       content_type="application/json")
    assert resp.status_code == 413 and resp.get_json()["error"]["code"] == "too_large"


def test_a_streamed_upload_may_exceed_the_form_cap(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    case = case_in_mediation(world)
    body = PDF + b"%" + b"x" * (200 * 1024) + b"\n%%EOF\n"
    resp = client.post(f"/api/v1/cases/{case.id}/evidence", headers=api_token(client, world.applicant.username),
                       data={"title": "large scan", "file": (io.BytesIO(body), "scan.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    assert db.session.get(Evidence, resp.get_json()["id"]).size == len(body)
