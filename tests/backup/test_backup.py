"""`flask odr backup` and `flask odr restore`: a restored empty instance has every row,
every evidence file and document with matching hashes, and an intact audit chain."""

from __future__ import annotations

import io
import tarfile

from sqlalchemy import func, select

from odr.audit.models import AuditEvent
from odr.evidence.models import Evidence
from odr.extensions import db
from tests.backup.helpers import restoring
from tests.case_factories import case_in_mediation
from tests.conftest import api_token


def _upload(client, case_id: int, headers: dict[str, str], name: str, data: bytes) -> None:
    resp = client.post(f"/api/v1/cases/{case_id}/evidence", headers=headers,
                       data={"title": name, "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()


def _fill(app, client, world) -> dict[str, int]:
    case = case_in_mediation(world)
    headers = api_token(client, world.applicant.username)
    _upload(client, case.id, headers, "note.txt", "借条：今借到人民币贰万元整。".encode())
    _upload(client, case.id, headers, "scan.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    return {"events": db.session.execute(select(func.count(AuditEvent.id))).scalar_one(),
            "evidence": db.session.execute(select(func.count(Evidence.id))).scalar_one()}


def test_backup_then_restore_into_an_empty_instance(app, client, world, tmp_path, fresh_database_url):
    before = _fill(app, client, world)
    archive = tmp_path / "backup.tar"
    result = app.test_cli_runner().invoke(args=["odr", "backup", "--output", str(archive)])
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "tables/audit_event.jsonl" in names
    assert sum(n.startswith("files/evidence/") for n in names) == before["evidence"]

    with restoring(tmp_path / "restored", fresh_database_url, archive) as (target, result):
        assert result.exit_code == 0, result.output
        assert "audit chain intact" in result.output
        assert db.session.execute(select(func.count(AuditEvent.id))).scalar_one() == before["events"]
        assert db.session.execute(select(func.count(Evidence.id))).scalar_one() == before["evidence"]
        again = target.test_cli_runner().invoke(args=["odr", "restore", str(archive)])
        assert again.exit_code == 2 and "not empty" in again.output


def test_restore_reports_a_damaged_file(app, client, world, tmp_path, fresh_database_url):
    _fill(app, client, world)
    archive = tmp_path / "backup.tar"
    assert app.test_cli_runner().invoke(args=["odr", "backup", "-o", str(archive)]).exit_code == 0
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("files/evidence/"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with restoring(tmp_path / "restored2", fresh_database_url, damaged) as (_target, result):
        assert result.exit_code == 1
        assert "hash mismatch" in result.output


def test_drawn_signatures_and_photos_travel_with_the_backup(app, client, world, tmp_path, fresh_database_url):
    """Files that rows point to outside evidence and documents are copied and restored too."""
    from odr.core.storage import get_storage
    from odr.mediators.models import MediatorProfile

    photo = b"\xff\xd8\xff\xe0" + b"photo-bytes" * 50
    writer = get_storage().begin()
    writer.write(photo)
    key = writer.commit()
    mediator_id = world.mediators[0].id  # read now: inside the target's context it would use the target's engine
    profile = db.session.get(MediatorProfile, mediator_id)
    profile.photo_key = key
    db.session.commit()
    archive = tmp_path / "backup.tar"
    result = app.test_cli_runner().invoke(args=["odr", "backup", "--output", str(archive)])
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        assert tar.extractfile(f"files/evidence/{key}").read() == photo

    with restoring(tmp_path / "restored", fresh_database_url, archive) as (_target, result):
        assert result.exit_code == 0, result.output
        assert db.session.get(MediatorProfile, mediator_id).photo_key == key
        with get_storage().open(key) as fh:
            assert fh.read() == photo
