"""The orphan-file sweep on local storage (evidence folder and documents folder): old files
no row names go, every kind of named file stays, young files stay, a dry run removes
nothing, one audit event with counts, a failed delete does not stop the rest, and a
database that names almost nothing makes it refuse."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta

import pytest

from odr.audit.services import verify_chain
from odr.backup.orphans import GUARD_MIN, sweep_orphans
from odr.backup.stored_files import area_storage
from odr.core.storage import get_storage
from odr.documents.services import documents_storage
from tests.storage_sweep.helpers import DAY, age, fill_every_kind, stray, sweep_events, write_file


def _exists(area: str, key: str) -> bool:
    return area_storage(area).exists(key)


def test_old_orphans_go_and_named_young_and_foreign_files_stay(app, client, world):
    named = fill_every_kind(client, world)
    evidence, documents = get_storage(), documents_storage()
    assert evidence.root != documents.root  # two folders, both swept
    old = {("evidence", write_file(evidence)), ("documents", write_file(documents))}
    foreign = stray(evidence)
    age(evidence)
    age(documents)
    young = write_file(evidence)
    listed = [f.key for storage in (evidence, documents) for f in storage.iter_files()]
    assert len(listed) == len(set(listed)) >= len(named) + 3 and young in listed

    report = sweep_orphans()

    assert {(o.area, o.file.key) for o in report.orphans} == old
    assert all(o.outcome == "deleted" for o in report.orphans)
    assert not any(_exists(area, key) for area, key in old)
    for kind, (area, key) in named.items():
        assert _exists(area, key), f"the {kind} file was deleted"
    assert evidence.exists(young)
    assert all(path.exists() for path in foreign)
    assert report.total("deleted") == 2 and report.total("failed") == 0
    assert report.total("judged") == len(listed) - 1  # all but the young one
    again = sweep_orphans()
    assert again.orphans == [] and again.total("judged") == len(listed) - 3


def test_the_run_records_one_audit_event_with_counts_only(app, client, world):
    storage = get_storage()
    key = write_file(storage, b"x" * 1000)
    age(storage)
    sweep_orphans(timedelta(hours=48))
    events = sweep_events()
    assert len(events) == 1
    event = events[0]
    assert event.object_type == "storage" and event.actor_id is None and event.case_id is None
    assert event.after["deleted"] == 1 and event.after["orphans"] == 1 and event.after["failed"] == 0
    assert event.after["bytes_freed"] == 1000 and event.after["older_than_hours"] == 48
    assert event.after["areas"]["evidence"]["deleted"] == 1
    assert key not in json.dumps(event.after)  # counts, no keys
    assert verify_chain().ok


def test_dry_run_removes_nothing_and_records_nothing(app, client, world):
    storage = get_storage()
    key = write_file(storage)
    age(storage)
    report = sweep_orphans(dry_run=True)
    assert [(o.file.key, o.outcome) for o in report.orphans] == [(key, "found")]
    assert storage.exists(key) and report.total("deleted") == 0
    assert sweep_events() == []


def test_a_young_orphan_is_kept_and_the_grace_has_a_floor(app, client, world):
    storage = get_storage()
    key = write_file(storage)
    age(storage, 23 * 3600)  # younger than the default 24 h
    assert sweep_orphans().orphans == [] and storage.exists(key)
    assert sweep_orphans(timedelta(hours=22)).total("deleted") == 1 and not storage.exists(key)
    with pytest.raises(ValueError):
        sweep_orphans(timedelta(minutes=59))


def test_command_reports_and_removes(app, client, world):
    storage = get_storage()
    key = write_file(storage)
    age(storage, 2 * DAY)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["odr", "sweep-files", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would remove evidence/{key}" in dry.output and "nothing was removed" in dry.output
    assert storage.exists(key)
    kept = runner.invoke(args=["odr", "sweep-files", "--older-than", "72"])
    assert kept.exit_code == 0 and "0 named by no row" in kept.output and storage.exists(key)
    done = runner.invoke(args=["odr", "sweep-files"])
    assert done.exit_code == 0, done.output
    assert f"removed evidence/{key}" in done.output and "1 removed, 0 failed" in done.output
    assert not storage.exists(key)
    assert len(sweep_events()) == 2  # the two real runs
    too_soon = runner.invoke(args=["odr", "sweep-files", "--older-than", "0.5"])
    assert too_soon.exit_code == 2  # refused by click: under the one-hour floor


CHATTR = shutil.which("chattr")


@pytest.mark.skipif(CHATTR is None, reason="needs chattr (e2fsprogs)")
def test_a_file_that_cannot_be_deleted_does_not_stop_the_sweep(app, client, world):
    storage = get_storage()
    stuck, other = write_file(storage, b"stuck"), write_file(storage, b"other")
    age(storage)
    path = storage.path(stuck)
    if subprocess.run([CHATTR, "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a file immutable here (needs root and a filesystem with attributes)")
    try:
        result = app.test_cli_runner().invoke(args=["odr", "sweep-files"])
        assert result.exit_code == 1, result.output
        assert f"FAILED to remove evidence/{stuck}" in result.output and "1 removed, 1 failed" in result.output
        assert storage.exists(stuck) and not storage.exists(other)
        assert sweep_events()[-1].after["failed"] == 1
    finally:
        subprocess.run([CHATTR, "-i", str(path)], check=True)


def test_a_database_that_names_almost_nothing_makes_it_refuse(app, client, world):
    """Run against the wrong (or an empty) database, the sweep would delete every file."""
    storage = get_storage()
    keys = [write_file(storage) for _ in range(GUARD_MIN + 5)]
    age(storage)
    result = app.test_cli_runner().invoke(args=["odr", "sweep-files"])
    assert result.exit_code == 1 and "right database" in result.output
    assert all(storage.exists(k) for k in keys)
    assert sweep_events()[-1].after["refused"] is True and sweep_events()[-1].after["deleted"] == 0
