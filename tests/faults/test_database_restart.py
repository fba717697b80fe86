"""PostgreSQL restarts while requests are coming in.

A private PostgreSQL cluster (initdb into the test's temp folder, a free 127.0.0.1 port;
the shared server on 5432 is never touched) serves the app, run as its own process. A
steady stream of API and page requests goes on while the database is stopped and
started again, then restarted with ``pg_ctl restart -m fast``. During the outage every
request must fail cleanly and quickly — 503 in API.md's error shape, or the error page —
never a hang and never a 500; once the database is back, requests succeed again with no
restart of the app (``pool_pre_ping`` replaces the dead pooled connections).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.faults.helpers import AppProcess, PrivatePostgres, pg_bin, request, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(180)]

ADMIN, PASSWORD = "faultadmin", "fault-password-1"


def _prepare(url: str, instance: Path) -> None:
    """Schema (migrations, then anything newer, as the suite does) and one admin."""
    from flask_migrate import upgrade

    from odr import create_app
    from odr.accounts.models import Role
    from odr.accounts.services import create_user
    from odr.config import TestConfig
    from odr.extensions import db
    from tests.conftest import ROOT

    app = create_app(TestConfig(instance, url))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.create_all()
        create_user(username=ADMIN, password=PASSWORD, display_name="故障测试管理员", role=Role.ADMIN)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


class Traffic(threading.Thread):
    """Requests one after another (API and page), each recorded with its outcome."""

    def __init__(self, port: int, token: dict[str, str], limit: int = 600, seconds: float = 60) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.limit, self.seconds = port, token, limit, seconds
        self.log: list[dict[str, Any]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        paths = [("/api/v1/cases", self.token), ("/api/v1/me", self.token), ("/organizations", {})]
        n = 0
        while not self.halt.is_set() and n < self.limit and time.monotonic() - started < self.seconds:
            path, headers = paths[n % len(paths)]
            n += 1
            t0 = time.monotonic()
            try:
                status, hdrs, body = request(self.port, "GET", path, headers=headers, timeout=15)
            except OSError as exc:
                status, hdrs, body = -1, {}, repr(exc).encode()
            self.log.append({"t": t0, "path": path, "status": status, "elapsed": time.monotonic() - t0,
                             "type": hdrs.get("content-type", ""), "body": body[:2000]})
            time.sleep(0.05)

    def since(self, moment: float) -> list[dict[str, Any]]:
        return [r for r in self.log if r["t"] >= moment]


def _clean_failure(row: dict[str, Any]) -> bool:
    if row["status"] != 503 or row["elapsed"] > 12:
        return False
    if row["path"].startswith("/api/"):
        return json.loads(row["body"])["error"]["code"] == "unavailable"
    return "text/html" in row["type"] and b"Traceback" not in row["body"]


def test_requests_fail_cleanly_during_a_restart_and_recover(tmp_path):
    if pg_bin() is None:
        pytest.skip("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)")
    pg = PrivatePostgres()
    proc = None
    traffic = None
    try:
        pg.init().start()
        admin = create_engine(pg.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE odr_fault"))
        admin.dispose()
        url = pg.url("odr_fault")
        _prepare(url, tmp_path / "instance0")
        proc = AppProcess({"ODR_DATABASE_URL": url, "ODR_INSTANCE_PATH": str(tmp_path / "instance"),
                           "ODR_SECRET_KEY": "fault-test-secret"}, log=tmp_path / "app.log").start()
        traffic = Traffic(proc.port, proc.token(ADMIN, PASSWORD))
        traffic.start()
        wait_until(lambda: len(traffic.log) >= 10, 20, what="traffic flowing")
        assert all(r["status"] == 200 for r in traffic.log), traffic.log[:3]

        # 1. a clear outage: stopped for a few seconds
        down = time.monotonic()
        pg.stop()
        time.sleep(3)
        up = time.monotonic()
        pg.start()
        # 2. a fast restart in the middle of the stream
        wait_until(lambda: any(r["status"] == 200 for r in traffic.since(up)), 30, what="recovery after start")
        restart = time.monotonic()
        pg.restart()
        back = time.monotonic()
        wait_until(lambda: sum(r["status"] == 200 for r in traffic.since(back)) >= 15, 40,
                   what="steady success after the restart")
        traffic.halt.set()
        traffic.join(20)

        outage = [r for r in traffic.log if down + 0.5 <= r["t"] and r["t"] + r["elapsed"] <= up]
        assert outage, "no request fell in the outage"
        bad = [r for r in outage if not _clean_failure(r)]
        assert not bad, bad[:3]
        everything = traffic.log
        assert not [r for r in everything if r["status"] not in (200, 503)], \
            [r for r in everything if r["status"] not in (200, 503)][:3]
        assert max(r["elapsed"] for r in everything) < 12, "a request hung"
        tail = traffic.since(back)[-10:]  # once recovered, it stays recovered
        assert tail and all(r["status"] == 200 for r in tail), [r for r in tail if r["status"] != 200][:3]
        # a fresh login works too: the pool recovered, not only cached connections
        assert proc.token(ADMIN, PASSWORD)["Authorization"].startswith("Bearer ")
        print(f"outage: {len(outage)} requests, all clean 503; restart took {back - restart:.1f} s; "
              f"{sum(r['status'] == 503 for r in everything)} of {len(everything)} requests got 503")
    finally:
        if traffic is not None:
            traffic.halt.set()
        if proc is not None:
            proc.stop()
        pg.cleanup()
