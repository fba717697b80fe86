"""Evidence on S3-compatible storage (ODR_STORAGE=s3), against a real S3 HTTP endpoint on
127.0.0.1 (moto's server): streamed multipart upload, download with the same hash, a refused
upload leaves no object behind, and a backup restores into the same storage."""

from __future__ import annotations

import hashlib
import io
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from odr import create_app
from odr.config import TestConfig
from odr.core.storage import S3Storage, get_storage
from odr.extensions import db
from tests.case_factories import case_in_mediation
from tests.conftest import IsolatedClient, _empty_tables, api_token
from tests.factories import build_world


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url, region_name="us-east-1").create_bucket(Bucket="odr-evidence")
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture()
def s3_app(schema: str, tmp_path: Path, s3_endpoint: str):
    config = TestConfig(tmp_path / "instance", schema)
    config.STORAGE, config.S3_BUCKET, config.S3_ENDPOINT_URL = "s3", "odr-evidence", s3_endpoint
    config.MAX_UPLOAD_BYTES = 16 * 1024 * 1024
    application = create_app(config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        _empty_tables()
        yield application
        db.session.remove()
        db.engine.dispose()


def _objects(endpoint: str) -> list[str]:
    listing = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").list_objects_v2(Bucket="odr-evidence")
    return [o["Key"] for o in listing.get("Contents", [])]


def test_evidence_round_trip_through_s3(s3_app, s3_endpoint):
    world = build_world()
    client = s3_app.test_client()
    assert isinstance(get_storage(), S3Storage)
    case = case_in_mediation(world)
    headers = api_token(client, world.applicant.username)
    data = b"%PDF-1.4\n" + os.urandom(12 * 1024 * 1024)  # more than one 8 MiB part: a multipart upload
    resp = client.post(f"/api/v1/cases/{case.id}/evidence", headers=headers, content_type="multipart/form-data",
                       data={"title": "bank statement", "file": (io.BytesIO(data), "statement.pdf")})
    assert resp.status_code == 201, resp.get_json()
    item = resp.get_json()
    assert item["sha256"] == hashlib.sha256(data).hexdigest()
    assert len(_objects(s3_endpoint)) == 1
    content = client.get(f"/api/v1/evidence/{item['id']}/content", headers=headers)
    assert content.status_code == 200 and hashlib.sha256(content.data).hexdigest() == item["sha256"]

    too_big = b"%PDF-1.4\n" + os.urandom(17 * 1024 * 1024)
    refused = client.post(f"/api/v1/cases/{case.id}/evidence", headers=headers, content_type="multipart/form-data",
                          data={"title": "too big", "file": (io.BytesIO(too_big), "big.pdf")})
    assert refused.status_code == 413
    assert len(_objects(s3_endpoint)) == 1  # the aborted multipart upload left no object
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    assert not s3.list_multipart_uploads(Bucket="odr-evidence").get("Uploads")
