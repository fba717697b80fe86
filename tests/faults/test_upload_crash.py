"""The app is killed (SIGKILL) in the middle of a streamed upload.

What a crash mid-upload can leave: an Evidence row (no: the row is written only after the
last byte), a stored file (no: bytes go to ``tmp/<key>.part`` and are renamed into place
on commit) and the part file itself, which no code path deletes once its process is dead.
The restarted app removes such parts at start-up (odr.core.storage.sweep_parts).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from odr.evidence.models import Evidence
from odr.extensions import db
from tests.case_factories import file_case
from tests.factories import PASSWORD
from tests.faults.helpers import AppProcess, app_env, request, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

PDF_HEAD = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 100


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def start_upload(port: int, token: str, case_id: int, declared: int, send: int) -> socket.socket:
    """Open a multipart upload of ``declared`` bytes and send the first ``send`` of them."""
    boundary = "----odrfault"
    pre = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nscan\r\n"
           f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n"
           f"Content-Type: application/pdf\r\n\r\n").encode()
    post = f"\r\n--{boundary}--\r\n".encode()
    head = (f"POST /api/v1/cases/{case_id}/evidence HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {token}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(pre) + declared + len(post)}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(head + pre + PDF_HEAD)
    block = b"\n" * 65536
    sent = len(PDF_HEAD)
    while sent < send:
        sock.sendall(block)
        sent += len(block)
    return sock


def test_kill_during_upload_leaves_no_row_no_file_no_part(app, world, tmp_path):
    case = file_case(world)
    storage = Path(app.config["STORAGE_PATH"])
    proc = AppProcess(app_env(app), log=tmp_path / "app.log")
    sock = None
    try:
        proc.start()
        token = proc.token("applicant", PASSWORD)["Authorization"]
        sock = start_upload(proc.port, token, case.id, declared=40 * 1024 * 1024, send=6 * 1024 * 1024)
        parts = storage / "tmp"
        wait_until(lambda: any(p.stat().st_size > 1024 * 1024 for p in parts.glob("*.part")), 20,
                   what="the upload reaching storage")
        proc.kill()  # SIGKILL mid-stream: no handler runs, no abort, no rollback
        sock.close()
        sock = None
        leftovers = list(parts.glob("*.part"))
        assert leftovers, "the crash should leave the part file behind (that is the fault)"
        db.session.rollback()  # a new snapshot: see what the app process committed
        assert db.session.query(Evidence).count() == 0

        # a part is only swept once it is old enough that no writer can be about to lock it
        time.sleep(2.2)
        proc.start()
        assert not list(parts.glob("*.part")), "restart should remove the dead upload's part file"
        assert _files(storage) == [], _files(storage)
        db.session.rollback()  # a new snapshot: see what the app process committed
        assert db.session.query(Evidence).count() == 0

        # the same upload path works after the restart
        body = PDF_HEAD + b"\n" * 50_000
        boundary = "b0undary"
        payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nscan\r\n"
                   f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
                   f"Content-Type: application/pdf\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
        status, _, raw = request(proc.port, "POST", f"/api/v1/cases/{case.id}/evidence", body=payload,
                                 headers={"Authorization": token,
                                          "Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert status == 201, raw
        assert len(_files(storage)) == 1
    finally:
        if sock is not None:
            sock.close()
        proc.stop()


def test_live_upload_part_is_never_swept(app, tmp_path):
    """The sweep must not delete a part another worker is still writing (it holds the lock)."""
    import os

    from odr.core.storage import FileSystemStorage

    storage = FileSystemStorage(tmp_path / "store")
    writer = storage.begin()
    writer.write(b"x" * 1000)
    old = time.time() - 3600
    part = next((tmp_path / "store" / "tmp").glob("*.part"))
    os.utime(part, (old, old))
    assert storage.sweep_parts() == 0 and part.exists()
    writer.abort()
    assert not part.exists()
