"""A mediator replaces a photo while a backup runs: the backup must still be complete.

The app deletes a replaced photo as soon as the new one is committed, so the file a
backup's table snapshot names can vanish before the backup copies it. The backup then
takes its snapshot again instead of failing or writing an archive that names a missing
file. ``create_backup(after_snapshot=...)`` runs the replacement at exactly that moment.
"""

from __future__ import annotations

import json
import tarfile

import pytest

from odr.backup.archive import SNAPSHOT_ATTEMPTS, create_backup
from odr.extensions import db
from odr.mediators import photos
from odr.mediators.models import MediatorProfile
from tests.pool.images import plain


def _manifest(archive) -> dict:
    with tarfile.open(archive) as tar:
        return json.load(tar.extractfile("manifest.json"))


def test_a_photo_replaced_during_the_backup_is_taken_from_a_new_snapshot(app, world, tmp_path):
    profile = db.session.get(MediatorProfile, world.mediators[0].id)
    photos.set_photo(profile, plain("PNG", (200, 250)), world.org_admin)
    first_key = profile.photo_key
    replaced: list[str] = []

    def replace_once() -> None:
        if not replaced:
            photos.set_photo(profile, plain("PNG", (300, 375)), world.org_admin)
            replaced.append(profile.photo_key)

    archive = tmp_path / "backup.tar"
    report = create_backup(archive, after_snapshot=replace_once)

    keys = {f["key"] for f in _manifest(archive)["files"]}
    assert replaced and replaced[0] in keys and first_key not in keys
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        rows = [json.loads(line) for line in tar.extractfile("tables/mediator_profile.jsonl")]
    assert f"files/evidence/{replaced[0]}" in names
    assert any(r["photo_key"] == replaced[0] for r in rows)
    assert report.files == len(keys)
    assert not archive.with_suffix(".tar.part").exists()


def test_a_backup_gives_up_when_the_photo_never_stops_changing(app, world, tmp_path):
    profile = db.session.get(MediatorProfile, world.mediators[0].id)
    photos.set_photo(profile, plain("PNG", (200, 250)), world.org_admin)
    calls: list[int] = []

    def replace_always() -> None:
        calls.append(1)
        photos.set_photo(profile, plain("PNG", (200 + len(calls), 250)), world.org_admin)

    archive = tmp_path / "backup.tar"
    with pytest.raises(RuntimeError, match="kept changing"):
        create_backup(archive, after_snapshot=replace_always)
    assert len(calls) == SNAPSHOT_ATTEMPTS
    assert not archive.exists() and not archive.with_suffix(".tar.part").exists()
