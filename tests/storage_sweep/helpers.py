"""Shared steps of the orphan-sweep tests: a file of every kind that rows name, put in
place through the real API, and orphans written straight to a storage."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from odr.agreements.models import Signature
from odr.audit.models import AuditEvent
from odr.core.storage import FileSystemStorage, Storage
from odr.documents.models import Document
from odr.evidence.models import Evidence
from odr.extensions import db
from odr.mediators.models import MediatorProfile
from tests.agreements.helpers import draft, mediation_case, sign
from tests.agreements.test_drawn_signature import data_url, drawing
from tests.conftest import api_token
from tests.factories import World
from tests.pool.images import plain

DAY = 24 * 3600


def fill_every_kind(client: FlaskClient, world: World) -> dict[str, tuple[str, str]]:
    """An evidence file, three drawn signature images, a mediator photo and the effective
    agreement's PDF; returns {kind: (area, key)} read back from the rows."""
    case = mediation_case(world)
    headers = api_token(client, world.applicant.username)
    resp = client.post(f"/api/v1/cases/{case.id}/evidence", headers=headers, content_type="multipart/form-data",
                       data={"title": "借条", "file": (io.BytesIO("借条：今借到人民币贰万元整。".encode()), "note.txt")})
    assert resp.status_code == 201, resp.get_json()
    agreement = draft(client, world, case)
    for username in ("applicant", "respondent", world.mediators[0].username):
        resp = sign(client, username, agreement["id"], signature_image=data_url(drawing()))
        assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "effective"
    mid = world.mediators[0].id
    resp = client.put(f"/api/v1/mediators/{mid}/photo", headers=api_token(client, "orgadmin"),
                      content_type="multipart/form-data",
                      data={"file": (io.BytesIO(plain("JPEG")), "p.jpg", "image/jpeg")})
    assert resp.status_code == 200, resp.get_json()
    db.session.rollback()  # read what the requests committed
    signatures = db.session.scalars(select(Signature.image_key).where(Signature.image_key.is_not(None))).all()
    assert len(signatures) == 3
    return {"evidence": ("evidence", db.session.scalars(select(Evidence.storage_key)).one()),
            "signature image": ("evidence", signatures[0]),
            "mediator photo": ("evidence", db.session.get(MediatorProfile, mid).photo_key),
            "document": ("documents", db.session.scalars(select(Document.storage_key).where(
                Document.agreement_id == agreement["id"])).one())}


def write_file(storage: Storage, data: bytes = b"left behind by a crash") -> str:
    """A committed file no row names: what a kill between write and commit leaves."""
    writer = storage.begin()
    writer.write(data)
    return writer.commit()


def age(storage: FileSystemStorage, seconds: float = 3 * DAY) -> None:
    """Make every stored file (and anything else in the folder) look ``seconds`` old."""
    moment = time.time() - seconds
    for path in storage.root.rglob("*"):
        os.utime(path, (moment, moment))


def stray(storage: FileSystemStorage) -> list[Path]:
    """Old things in the storage folder that the storage did not write as files: a part
    file and a file whose name is not a key. The sweep must leave them alone."""
    part = storage.tmp_dir / ("ab" * 20 + ".part")
    note = storage.root / "ab" / "README"
    for path in (part, note):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"not a stored file")
    return [part, note]


def sweep_events() -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "storage.sweep")
                                   .order_by(AuditEvent.id)))
