"""schemathesis against the running app (a werkzeug server on 127.0.0.1 in a thread),
authenticated as each role: no 5xx, and every response matches its declared schema.

Kept to a few examples per operation so it finishes in about three minutes;
scripts/schemathesis.sh runs it longer (ODR_SCHEMATHESIS_EXAMPLES).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from odr.extensions import db
from tests.factories import PASSWORD

ROLES = tuple(os.environ.get("ODR_SCHEMATHESIS_ROLES", "admin,orgadmin,judge,mediator,applicant").split(","))
EXAMPLES = int(os.environ.get("ODR_SCHEMATHESIS_EXAMPLES", "3"))
ST = Path(sys.executable).with_name("schemathesis")


@pytest.fixture()
def live_url(app, world):
    db.session.commit()
    app.config["RATELIMIT_ENABLED"] = False
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_no_5xx_and_responses_match_their_schemas(live_url, tmp_path):
    failures: list[str] = []
    outputs: list[str] = []
    for role in ROLES:
        resp = requests.post(f"{live_url}/api/v1/auth/token", json={"username": role, "password": PASSWORD},
                             timeout=10)
        assert resp.status_code == 200, resp.text
        report = tmp_path / f"{role}.xml"
        run = subprocess.run(
            [str(ST), "run", f"{live_url}/api/v1/openapi.json", "--url", live_url,
             "-H", f"Authorization: Bearer {resp.json()['token']}",
             "--checks", "not_a_server_error,response_schema_conformance",
             "--phases", "examples,fuzzing", "-n", str(EXAMPLES), "--seed", "2026",
             "--request-timeout", "20", "--report", "junit", "--report-junit-path", str(report),
             "--suppress-health-check", "all", "--no-color"],
            capture_output=True, text=True, timeout=900, cwd=tmp_path,  # its cache stays out of the repo
            env={**os.environ, "NO_COLOR": "1"})
        print(run.stdout[-2500:])
        if run.returncode != 0:
            failures.append(f"--- as {role} ---\n{run.stdout[-6000:]}\n{run.stderr[-2000:]}")
        outputs.append(run.stdout)
    assert not failures, "\n".join(failures)
    assert all("passed" in out.lower() or "success" in out.lower() for out in outputs), outputs[0][-3000:]
