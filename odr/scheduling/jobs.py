"""APScheduler 3 with its job store in the app database, run only by the elected leader.

APScheduler 3's limits shape this module: a job store must not be shared by two running
schedulers, and a job added from another process is not seen until the scheduler next
wakes. So only the leader runs a scheduler (``odr.scheduling.leader``), and the web app
never adds jobs: it writes rows (deadlines, reminders, outbox) that the leader's short
periodic sweep picks up. The jobs themselves are few and fixed, stored in
``apscheduler_jobs`` so a restart resumes their timing.

Misfire settings, on purpose: the sweep is stateless and catches up from the tables, so
after downtime the missed runs are *coalesced* into one run and ``misfire_grace_time`` is
None (run however late) — the 3.x default of 1 s would silently drop a run after any
pause. Whether a late reminder is still worth sending is decided per row by the sweep
(``useful_until``), not by APScheduler.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from odr.core.time import UTC
from odr.scheduling.leader import LeaderLock, leader_lock_for

log = logging.getLogger("odr.scheduling")

_APPS: dict[str, Flask] = {}
SWEEP_JOB_ID = "odr-sweep"


def sweep_job(app_key: str) -> None:
    """The stored job's target (referenced by name, so the job store can pickle it)."""
    from odr.scheduling.sweep import run_sweep

    app = _APPS.get(app_key)
    if app is None:
        return
    with app.app_context():
        for _ in range(50):  # drain a backlog, but give the scheduler back its thread eventually
            out = run_sweep()
            handled = (sum(out["deadline_warnings"].values()) + out["expired"]
                       + sum(out["reminders"].values()) + sum(out["outbox"].values()))
            if handled == 0:
                break


def build_scheduler(app: Flask) -> BackgroundScheduler:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=url, tablename="apscheduler_jobs")},
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=UTC,
    )
    return scheduler


class SchedulerRunner:
    """Campaign for leadership; while leading, run the APScheduler with the sweep job."""

    def __init__(self, app: Flask, *, sweep_seconds: float | None = None, retry_seconds: float | None = None,
                 lock: LeaderLock | None = None) -> None:
        self.app = app
        self.sweep_seconds = float(sweep_seconds or app.config.get("SCHEDULER_SWEEP_SECONDS", 1.0))
        self.retry_seconds = float(retry_seconds or app.config.get("SCHEDULER_LEADER_RETRY_SECONDS", 5.0))
        self.lock = lock or leader_lock_for(app)
        self.scheduler: BackgroundScheduler | None = None
        self.stopping = threading.Event()
        self.leading = threading.Event()
        self.app_key = f"app-{id(app)}"
        self._thread: threading.Thread | None = None

    # -- leadership loop
    def run(self) -> None:
        _APPS[self.app_key] = self.app
        try:
            while not self.stopping.is_set():
                if self.lock.acquire():
                    log.info("scheduler: leading (%s)", self.lock.describe())
                    self._lead()
                else:
                    self.stopping.wait(self.retry_seconds)
        finally:
            self._stop_scheduler()
            self.lock.release()
            _APPS.pop(self.app_key, None)

    def _lead(self) -> None:
        self.scheduler = build_scheduler(self.app)
        self.scheduler.start(paused=True)
        self.scheduler.add_job("odr.scheduling.jobs:sweep_job", "interval", seconds=self.sweep_seconds,
                               id=SWEEP_JOB_ID, args=[self.app_key], replace_existing=True,
                               coalesce=True, max_instances=1, misfire_grace_time=None)
        self.scheduler.resume()
        self.leading.set()
        try:
            while not self.stopping.wait(min(self.retry_seconds, 2.0)):
                if not self.lock.still_held():
                    log.warning("scheduler: lost leadership")
                    break
        finally:
            self.leading.clear()
            self._stop_scheduler()

    def _stop_scheduler(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.scheduler = None

    # -- in a thread (embedded) or in the foreground (CLI)
    def start_in_thread(self) -> SchedulerRunner:
        self._thread = threading.Thread(target=self.run, name="odr-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)


def start_embedded_scheduler(app: Flask) -> SchedulerRunner | None:
    """The embedded single-machine shape: the scheduler inside the app process.

    Called by the run command when SCHEDULER_ENABLED is true — never by web workers. The
    leader lock still applies, so a second app process on the same data stays passive.
    """
    if not app.config.get("SCHEDULER_ENABLED"):
        return None
    return SchedulerRunner(app).start_in_thread()


def run_forever(app: Flask, sweep_seconds: float | None = None) -> None:
    """``flask odr scheduler``: lead or wait, until SIGTERM/SIGINT."""
    runner = SchedulerRunner(app, sweep_seconds=sweep_seconds)

    def _stop(_signum: int, _frame: Any) -> None:
        runner.stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    started = time.monotonic()
    log.info("scheduler: starting")
    runner.run()
    log.info("scheduler: stopped after %.0f s", time.monotonic() - started)
