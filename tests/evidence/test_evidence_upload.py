"""The evidence vault through the API, and the streaming limits over a real socket."""

from __future__ import annotations

import hashlib
import http.client
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from odr.evidence.models import Evidence
from odr.extensions import db
from tests.case_factories import case_in_mediation, file_case
from tests.conftest import api_token

PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 500 + b"%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 200


def _post(client, case_id, headers, data: bytes, filename="a.pdf", **fields):
    from io import BytesIO
    return client.post(f"/api/v1/cases/{case_id}/evidence", headers=headers,
                       data={"file": (BytesIO(data), filename), "title": "合同", **fields},
                       content_type="multipart/form-data")


def _stored(app) -> list[Path]:
    root = Path(app.config["STORAGE_PATH"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_upload_list_download_withdraw(client, world, app):
    case = file_case(world)
    h = api_token(client, "applicant")
    resp = _post(client, case.id, h, PDF, filename="../../etc/passwd\x07.pdf")
    assert resp.status_code == 201, resp.get_json()
    ev = resp.get_json()
    assert ev["sha256"] == hashlib.sha256(PDF).hexdigest() and ev["media_type"] == "application/pdf"
    assert ev["filename"] == "passwd.pdf" and ev["size"] == len(PDF)
    stored = _stored(app)
    assert len(stored) == 1 and "passwd" not in str(stored[0])
    dup = _post(client, case.id, h, PDF).get_json()
    assert dup["duplicate_of"] == ev["id"]
    got = client.get(f"/api/v1/evidence/{ev['id']}/content", headers=h)
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/api/v1/evidence/{ev['id']}/content",
                      headers=api_token(client, "outsider")).status_code == 404
    resp = client.post(f"/api/v1/evidence/{ev['id']}/withdraw", json={"reason": "传错了"}, headers=h)
    assert resp.status_code == 200 and resp.get_json()["withdrawn_at"]
    assert len(_stored(app)) == 2  # bytes kept
    assert client.get(f"/api/v1/cases/{case.id}/evidence", headers=h).get_json()["total"] == 2


def test_type_sniffed_from_content_not_name(client, world, app):
    case = file_case(world)
    h = api_token(client, "applicant")
    resp = _post(client, case.id, h, b"MZ\x90\x00" + b"\x00" * 300, filename="photo.jpg")
    assert resp.status_code == 415
    assert "PDF" in resp.get_json()["error"]["message"]
    assert db.session.query(Evidence).count() == 0 and _stored(app) == []
    ok = _post(client, case.id, h, PNG, filename="contract.pdf")
    assert ok.status_code == 201 and ok.get_json()["media_type"] == "image/png"


def test_oversize_and_quota(client, world, app):
    case = file_case(world)
    h = api_token(client, "applicant")
    app.config["MAX_UPLOAD_BYTES"] = 4096
    resp = _post(client, case.id, h, PDF + b"\n" * 5000)
    assert resp.status_code == 413
    assert db.session.query(Evidence).count() == 0 and _stored(app) == []
    app.config["MAX_UPLOAD_BYTES"] = 1 << 20
    app.config["CASE_QUOTA_BYTES"] = len(PDF) + 10
    assert _post(client, case.id, h, PDF).status_code == 201
    again = _post(client, case.id, h, PNG)
    assert again.status_code == 413 and again.get_json()["error"]["code"] == "quota_exceeded"


def test_caucus_material_is_for_the_mediator(client, world):
    case = case_in_mediation(world)
    h = api_token(client, "applicant")
    ev = _post(client, case.id, h, PDF, visibility="mediator").get_json()
    rh = api_token(client, "respondent")
    assert client.get(f"/api/v1/evidence/{ev['id']}/content", headers=rh).status_code == 404
    assert client.get(f"/api/v1/cases/{case.id}/evidence", headers=rh).get_json()["total"] == 0
    if case.mediator_id:
        mh = api_token(client, "mediator")
        assert client.get(f"/api/v1/evidence/{ev['id']}/content", headers=mh).status_code == 200


# ------------------------------------------------------------------ over a real socket

@pytest.fixture()
def live(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()


def _raw_upload(port: int, token: str, case_id: int, head: bytes, body_size: int, *,
                declared: int | None = None, stop_after: int | None = None, chunked: bool = False):
    boundary = "----odrtest"
    pre = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nx\r\n"
           f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"evidence.pdf\"\r\n"
           f"Content-Type: application/pdf\r\n\r\n").encode()
    post = f"\r\n--{boundary}--\r\n".encode()
    total = len(pre) + body_size + len(post)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("POST", f"/api/v1/cases/{case_id}/evidence")
    conn.putheader("Authorization", token)
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    if chunked:
        conn.putheader("Transfer-Encoding", "chunked")
    else:
        conn.putheader("Content-Length", str(declared if declared is not None else total))
    conn.endheaders()

    def send(data: bytes) -> None:
        conn.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)

    sent = 0
    try:
        send(pre + head)
        sent = len(head)
        block = b"\n" * 65536
        while sent < body_size:
            n = min(len(block), body_size - sent)
            if stop_after is not None and sent >= stop_after:
                conn.sock.close()
                return None
            send(block[:n])
            sent += n
        send(post)
        if chunked:
            conn.send(b"0\r\n\r\n")
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (BrokenPipeError, ConnectionResetError):
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_streaming_limits_over_a_socket(client, world, app, live):
    import time

    case = file_case(world)
    token = api_token(client, "applicant")["Authorization"]
    app.config["MAX_UPLOAD_BYTES"] = 2 * 1024 * 1024
    # oversize, streamed with chunked encoding so no Content-Length gives it away
    status, _ = _raw_upload(live, token, case.id, PDF, 3 * 1024 * 1024, chunked=True)
    assert status == 413
    # type spoofing: an executable called evidence.pdf declared application/pdf
    status, body = _raw_upload(live, token, case.id, b"MZ\x90\x00" + b"\x00" * 9000, 20000)
    assert status == 415 and b"DOCX" in body
    # the client disconnects half-way through a 1 MB file
    assert _raw_upload(live, token, case.id, PDF, 1024 * 1024, stop_after=300_000) is None
    time.sleep(0.5)
    db.session.expire_all()
    assert db.session.query(Evidence).count() == 0
    assert _stored(app) == []
    # and a proper upload over the same path works
    status, body = _raw_upload(live, token, case.id, PDF, 100_000)
    assert status == 201, body
    assert len(_stored(app)) == 1
