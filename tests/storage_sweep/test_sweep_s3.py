"""The orphan-file sweep on S3-compatible storage (moto's server on 127.0.0.1, as in
tests/evidence/test_s3_storage.py): one bucket holds evidence, signature images, photos
and documents; the listing is list_objects_v2, dated by LastModified."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
import time_machine
from flask import Flask

from odr import sqlite_begin_mode
from odr.backup.orphans import sweep_orphans
from odr.core.storage import S3Storage, get_storage
from odr.core.time import now
from odr.documents.services import documents_storage
from tests.evidence.test_s3_storage import s3_app, s3_endpoint  # noqa: F401 - fixtures
from tests.factories import build_world
from tests.storage_sweep.helpers import fill_every_kind, sweep_events, write_file


def _empty_bucket(endpoint: str) -> None:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="odr-evidence"):
        for obj in page.get("Contents", ()):
            s3.delete_object(Bucket="odr-evidence", Key=obj["Key"])


@pytest.fixture()
def s3(s3_app: Flask, s3_endpoint: str) -> Iterator[Flask]:  # noqa: F811 - the imported fixtures
    """An empty bucket (moto keeps objects in memory across servers of one process, and the
    tables are emptied per test: an earlier test's object would be an orphan here); the
    test's own reads never hold SQLite's write lock, as with the ``app`` fixture."""
    _empty_bucket(s3_endpoint)
    token = sqlite_begin_mode.set("DEFERRED")
    yield s3_app
    sqlite_begin_mode.reset(token)
    _empty_bucket(s3_endpoint)


def test_s3_old_orphan_goes_named_and_young_files_stay(s3, s3_endpoint):  # noqa: F811 - fixture
    client = s3.test_client()
    named = fill_every_kind(client, build_world())
    storage = get_storage()
    assert isinstance(storage, S3Storage) and documents_storage() is storage
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.put_object(Bucket="odr-evidence", Key="exports/report.csv", Body=b"not ours")  # not a storage key
    old = write_file(storage)
    with time_machine.travel(now() + timedelta(days=2)):
        young = write_file(storage)  # the server dates it now, two days on
        listed = {f.key: f.modified for f in storage.iter_files()}
        assert listed[young] - listed[old] > timedelta(days=1)
        report = sweep_orphans()
    assert [(o.area, o.file.key, o.outcome) for o in report.orphans] == [("evidence", old, "deleted")]
    assert not storage.exists(old) and storage.exists(young)
    for kind, (_area, key) in named.items():
        assert storage.exists(key), f"the {kind} object was deleted"
    assert s3.head_object(Bucket="odr-evidence", Key="exports/report.csv")["ContentLength"] == 8
    assert report.total("judged") == len(listed) - 1
    assert sweep_events()[-1].after["deleted"] == 1


def test_s3_dry_run_removes_nothing(s3):
    storage = get_storage()
    key = write_file(storage)
    with time_machine.travel(now() + timedelta(days=2)):
        report = sweep_orphans(dry_run=True)
    assert [(o.file.key, o.outcome) for o in report.orphans] == [(key, "found")]
    assert storage.exists(key) and sweep_events() == []
