"""The app is killed (SIGKILL) while the last signer signs the settlement agreement.

The mediator's signature is the one that seals, numbers and renders the agreement and
moves the case to ``agreement_effective`` — the most work in one transaction. Killed at
several moments into that request (and once with the body half sent), the agreement and
the case must be all-or-nothing: either the signature, seal, number, audit events,
document row and its PDF are all there, or none of them; the audit chain verifies
(``flask odr verify-audit``); and after the restart the signature can be given.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from odr.agreements.models import Agreement
from odr.audit.models import AuditEvent
from odr.cases.models import Case
from odr.documents.models import Document
from odr.extensions import db
from tests.agreements.helpers import draft, mediation_case, sign
from tests.factories import PASSWORD
from tests.faults.helpers import ROOT, AppProcess, app_env, request

pytestmark = [pytest.mark.slow, pytest.mark.timeout(200)]

#: seconds after the request is sent at which the app is killed; None: body half sent
KILL_POINTS: list[float | None] = [None, 0.05, 0.5]


def _send_sign(port: int, token: str, agreement_id: int, *, half: bool) -> socket.socket:
    body = json.dumps({"password": PASSWORD}).encode()
    head = (f"POST /api/v1/agreements/{agreement_id}/sign HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(head + (body[: len(body) // 2] if half else body))
    return sock


def _state(agreement_id: int, case_id: int, docs_root: Path) -> dict[str, Any]:
    db.session.rollback()  # a new snapshot: see what the app process committed
    agreement = db.session.get(Agreement, agreement_id)
    case = db.session.get(Case, case_id)
    roles = sorted(s.role for s in agreement.signatures)
    events = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "agreement", AuditEvent.object_id == str(agreement_id))).all()
    docs = db.session.scalars(select(Document).where(Document.agreement_id == agreement_id)).all()
    return {"status": agreement.status, "number": agreement.number, "roles": roles, "case": case.status,
            "sign_events": events.count("agreement.sign"), "effective_events": events.count("agreement.effective"),
            "documents": len(docs),
            "files_present": all((docs_root / d.storage_key[:2] / d.storage_key).is_file() for d in docs)}


def _assert_all_or_nothing(state: dict[str, Any]) -> bool:
    """True when the mediator's signature took effect, False when it left no trace."""
    if "mediator" in state["roles"]:
        assert state == {**state, "status": "effective", "case": "agreement_effective", "sign_events": 3,
                         "effective_events": 1, "documents": 1, "files_present": True}, state
        assert state["number"] and state["roles"] == ["mediator", "party", "party", "seal"], state
        return True
    assert state == {**state, "status": "draft", "number": None, "case": "settled", "sign_events": 2,
                     "effective_events": 0, "documents": 0}, state
    assert state["roles"] == ["party", "party"], state
    return False


def _verify_audit(env: dict[str, str]) -> None:
    run_env = {**os.environ, **env}
    run_env.pop("ODR_TEST_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "odr", "verify-audit"], cwd=ROOT,
                         env=run_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_kill_during_signing_is_all_or_nothing(app, client, world, tmp_path):
    env = app_env(app)
    docs_root = Path(app.config["DOCUMENTS_PATH"])
    proc = AppProcess(env, log=tmp_path / "app.log")
    outcomes = []
    try:
        proc.start()
        mediator = world.mediators[0].username
        for point in KILL_POINTS:
            case = mediation_case(world)
            agreement = draft(client, world, case)
            for party in ("applicant", "respondent"):
                assert sign(client, party, agreement["id"]).status_code == 200
            token = proc.token(mediator, PASSWORD)["Authorization"]
            sock = _send_sign(proc.port, token, agreement["id"], half=point is None)
            time.sleep(point or 0.2)
            proc.kill()
            sock.close()
            took_effect = _assert_all_or_nothing(_state(agreement["id"], case.id, docs_root))
            outcomes.append((point, took_effect))
            proc.start()
            if not took_effect:  # the signer tries again after the restart: it works
                status, _, raw = request(proc.port, "POST", f"/api/v1/agreements/{agreement['id']}/sign",
                                         body={"password": PASSWORD},
                                         headers=proc.token(mediator, PASSWORD), timeout=60)
                assert status == 200, raw
                assert _assert_all_or_nothing(_state(agreement["id"], case.id, docs_root))
        _verify_audit(env)
        assert not list((docs_root / "tmp").glob("*.part")), "no half-written PDF after the restarts"
    finally:
        proc.stop()
    print("kill point (s after sending; None = half a body) → signature took effect:", outcomes)
    assert outcomes[0] == (None, False), outcomes  # half a body: the service never ran
