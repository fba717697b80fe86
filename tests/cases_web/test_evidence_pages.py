"""Evidence through the web pages: the streamed upload with its own CSRF check, limits,
visibility of mediator-only material, preview and download, withdrawal."""

from __future__ import annotations

import hashlib
from io import BytesIO

from odr.evidence.models import Evidence
from odr.extensions import db
from tests.case_factories import case_in_mediation, file_case
from tests.cases_web.helpers import logged_in, post, token

PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 300 + b"%%EOF\n"
XHR = {"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"}


def _upload(client, case_id: int, data: bytes, csrf: str | None, *, name: str = "合同.pdf", query: str = "",
            headers: dict[str, str] | None = None, **fields: str):
    h = dict(headers if headers is not None else XHR)
    if csrf:
        h["X-CSRFToken"] = csrf
    return client.post(f"/cases/{case_id}/evidence/upload{query}", headers=h,
                       data={"title": fields.pop("title", "借条"), **fields, "file": (BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_upload_needs_the_csrf_token_and_flags_duplicates(app, world):
    case = file_case(world)
    client = logged_in(app, "applicant")
    assert _upload(client, case.id, PDF, None).status_code == 400
    assert _upload(client, case.id, PDF, "forged").status_code == 400
    assert db.session.query(Evidence).count() == 0
    csrf = token(client, f"/cases/{case.id}")
    first = _upload(client, case.id, PDF, csrf)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() and body["duplicate"] is False
    again = _upload(client, case.id, PDF, csrf).get_json()
    assert again["duplicate"] is True and again["duplicate_of"] == body["id"]
    # the form without JavaScript: token in the query string, answered with a redirect
    plain = _upload(client, case.id, PDF, None, query=f"?csrf_token={csrf}", headers={})
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/cases/{case.id}#evidence")
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert body["sha256"] in html and "借条" in html


def test_too_large_and_wrong_type_through_the_web_upload(app, world):
    case = file_case(world)
    client = logged_in(app, "applicant")
    csrf = token(client, f"/cases/{case.id}")
    app.config["MAX_UPLOAD_BYTES"] = 2048
    big = _upload(client, case.id, PDF + b"x" * 4096, csrf)
    assert big.status_code == 413 and big.get_json()["error"]["code"] == "file_too_large"
    app.config["MAX_UPLOAD_BYTES"] = 10 * 1024 * 1024
    exe = _upload(client, case.id, b"MZ\x90\x00\x03" + b"\x00\xff" * 500, csrf, name="photo.jpg")
    assert exe.status_code == 415 and "PDF" in exe.get_json()["error"]["message"]
    plain = _upload(client, case.id, b"MZ\x90\x00\x03" + b"\x00\xff" * 500, None,
                    query=f"?csrf_token={csrf}", headers={}, name="photo.jpg")
    assert plain.status_code == 303  # the message is shown on the case page
    assert "PDF" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert db.session.query(Evidence).count() == 0


def test_mediator_only_evidence_is_hidden_from_the_other_side(app, world):
    case = case_in_mediation(world)
    applicant = logged_in(app, "applicant")
    csrf = token(applicant, f"/cases/{case.id}")
    private = _upload(applicant, case.id, PDF, csrf, title="底线方案", visibility="mediator").get_json()
    shared = _upload(applicant, case.id, PDF + b"\n", csrf, title="现场照片说明").get_json()
    respondent = logged_in(app, "respondent")
    html = respondent.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "现场照片说明" in html and "底线方案" not in html and private["sha256"] not in html
    assert respondent.get(f"/evidence/{private['id']}/download").status_code == 404
    assert respondent.get(f"/evidence/{private['id']}/preview").status_code == 404
    mediator = logged_in(app, world.mediators[0].username)
    assert "底线方案" in mediator.get(f"/cases/{case.id}").get_data(as_text=True)
    preview = respondent.get(f"/evidence/{shared['id']}/preview")
    assert preview.status_code == 200 and preview.headers["Content-Disposition"].startswith("inline")
    download = respondent.get(f"/evidence/{shared['id']}/download")
    assert download.headers["Content-Disposition"].startswith("attachment") and download.data == PDF + b"\n"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert logged_in(app, "outsider").get(f"/evidence/{shared['id']}/download").status_code == 404


def test_withdraw_from_the_case_page(app, world):
    case = file_case(world)
    client = logged_in(app, "applicant")
    ev = _upload(client, case.id, PDF, token(client, f"/cases/{case.id}")).get_json()
    resp = post(client, f"/evidence/{ev['id']}/withdraw", {"reason": "传错了"}, f"/cases/{case.id}")
    assert resp.status_code == 302
    db.session.expire_all()
    item = db.session.get(Evidence, ev["id"])
    assert item.withdrawn_at is not None and item.withdraw_reason == "传错了"
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "传错了" in html and "withdrawn" in html
    other = logged_in(app, "respondent")
    assert post(other, f"/evidence/{ev['id']}/withdraw", {"reason": "x"}).status_code == 404
