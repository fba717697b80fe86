"""The disk under the evidence storage fills up during an upload.

The app runs in its own mount namespace (``unshare -m``) with the storage folder on a
2 MB tmpfs, so the host's disks are never filled. A 5 MB upload must end in a clear
507 ``storage_full`` in the API error shape, with no row and no partial file; a small
upload right after must succeed (the failed one gave its space back).
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from odr.evidence.models import Evidence
from odr.extensions import db
from tests.case_factories import file_case
from tests.factories import PASSWORD
from tests.faults.helpers import AppProcess, app_env, request

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

PDF_HEAD = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 100


def _can_mount_tmpfs() -> str | None:
    """Why a private tmpfs cannot be mounted here, or None when it can."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot mount a tmpfs in a private mount namespace (needs root): {probe.stderr.strip()}"
    return None


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = "diskfullboundary"
    body = PDF_HEAD + b"\n" * (size - len(PDF_HEAD))
    payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nscan\r\n"
               f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n"
               f"Content-Type: application/pdf\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
    return payload, f"multipart/form-data; boundary={boundary}"


def _upload(port: int, token: str, case_id: int, size: int) -> tuple[int, bytes]:
    payload, ctype = _multipart(size)
    try:
        status, _, raw = request(port, "POST", f"/api/v1/cases/{case_id}/evidence", body=payload,
                                 headers={"Authorization": token, "Content-Type": ctype}, timeout=30)
    except (BrokenPipeError, ConnectionResetError) as exc:  # pragma: no cover - reported below
        raise AssertionError(f"the server dropped the connection instead of answering: {exc}") from exc
    return status, raw


def test_full_disk_gives_507_and_leaves_nothing(app, world, tmp_path):
    reason = _can_mount_tmpfs()
    if reason:
        pytest.skip(reason)
    case = file_case(world)
    tiny = tmp_path / "tiny-storage"
    tiny.mkdir()

    def on_tiny_tmpfs(cmd: list[str]) -> list[str]:
        script = f"mount -t tmpfs -o size=2m tmpfs {shlex.quote(str(tiny))} && exec {shlex.join(cmd)}"
        return ["unshare", "-m", "sh", "-c", script]

    proc = AppProcess(app_env(app, ODR_STORAGE_PATH=str(tiny)), wrap=on_tiny_tmpfs, log=tmp_path / "app.log")
    try:
        proc.start()
        # the app's own view of the folder (its mount namespace), through /proc
        seen = Path(f"/proc/{proc.pid}/root") / str(tiny).lstrip("/")

        def files() -> list[str]:
            return sorted(str(p.relative_to(seen)) for p in seen.rglob("*") if p.is_file())

        token = proc.token("applicant", PASSWORD)["Authorization"]
        status, raw = _upload(proc.port, token, case.id, 5 * 1024 * 1024)
        assert status == 507, (status, raw[:500])
        error = json.loads(raw)["error"]
        assert error["code"] == "storage_full" and ("full" in error["message"].lower() or "满" in error["message"])
        assert files() == [], files()
        db.session.rollback()  # a new snapshot: see what the app process committed
        assert db.session.query(Evidence).count() == 0

        status, raw = _upload(proc.port, token, case.id, 200_000)
        assert status == 201, raw[:500]
        assert len(files()) == 1
        assert not list(tiny.iterdir()), "the tmpfs must stay inside the app's mount namespace"
    finally:
        proc.stop()
