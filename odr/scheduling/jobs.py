"""APScheduler 3 with its job store in the app database, run only by the elected leader.

APScheduler 3's limits shape this module: a job store must not be shared by two running
schedulers, and a job added from another process is not seen until the scheduler next
wakes. So only the leader runs a scheduler (``odr.scheduling.leader``), and the web app
never adds jobs: it writes rows (deadlines, reminders, outbox) that the leader's short
periodic sweep picks up. The jobs themselves are few and fixed, stored in
``apscheduler_jobs`` so a restart resumes their timing: the sweep (every second or so) and
the daily orphan-file sweep (``odr.backup.orphans``). The daily one runs at a fixed local
time, not every 24 h: each leader start replaces the stored jobs, and an interval would
begin counting again at every restart.

Misfire settings, on purpose: the sweep is stateless and catches up from the tables, so
after downtime the missed runs are *coalesced* into one run and ``misfire_grace_time`` is
None (run however late) — the 3.x default of 1 s would silently drop a run after any
pause. Whether a late reminder is still worth sending is decided per row by the sweep
(``useful_until``), not by APScheduler.

Between ticks the sweep is woken early (``odr.scheduling.wakeup``): at the earliest due
reminder or outbox row, and on PostgreSQL by ``NOTIFY odr_sweep`` from the web app's
commits. A watchdog restarts APScheduler if its main loop dies (a job-store error ends
that thread silently in 3.x).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from odr.core.time import DEFAULT_TZ, UTC
from odr.scheduling.leader import LeaderLock, leader_lock_for
from odr.scheduling.wakeup import NotifyListener, next_due

log = logging.getLogger("odr.scheduling")

_APPS: dict[str, Flask] = {}
_RUNNERS: dict[str, SchedulerRunner] = {}
SWEEP_JOB_ID = "odr-sweep"
FILE_SWEEP_JOB_ID = "odr-sweep-files"
#: when the daily orphan-file sweep runs (Asia/Shanghai wall time: the quiet hours)
FILE_SWEEP_AT = {"hour": 3, "minute": 30}


def sweep_job(app_key: str) -> None:
    """The stored job's target (referenced by name, so the job store can pickle it)."""
    app = _APPS.get(app_key)
    if app is None:
        return
    runner = _RUNNERS.get(app_key)
    if runner is not None:
        runner.sweeping.set()
    try:
        _drain(app)
    finally:
        if runner is not None:
            runner.sweeping.clear()


def file_sweep_job(app_key: str) -> None:
    """Daily: delete stored files that no row names, older than the default grace."""
    app = _APPS.get(app_key)
    if app is None:
        return
    from odr.backup.orphans import sweep_orphans

    with app.app_context():
        report = sweep_orphans()
    log.info("orphan-file sweep: %s", report.counts())


def _drain(app: Flask) -> None:
    from odr.notifications.dispatch import IN_SWEEP
    from odr.scheduling.sweep import run_sweep

    IN_SWEEP.set(True)  # this worker thread only sweeps
    with app.app_context():
        for _ in range(50):  # drain a backlog, but give the scheduler back its thread eventually
            out = run_sweep()
            handled = (sum(out["deadline_warnings"].values()) + out["expired"]
                       + sum(out["reminders"].values()) + sum(out["outbox"].values()))
            if handled == 0:
                break


def jobstore_engine(url: str) -> Engine:
    """The job store's own engine. On SQLite it waits up to 30 s for the write lock: with
    the default 5 s a busy web app made APScheduler's ``update_job`` raise "database is
    locked" inside its main loop, which kills that thread silently (seen in the
    benchmark); on PostgreSQL a dropped connection is replaced before use."""
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"timeout": 30})
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2)


def build_scheduler(app: Flask) -> BackgroundScheduler:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=jobstore_engine(url), tablename="apscheduler_jobs")},
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
        self.sweeping = threading.Event()
        self._again = threading.Event()
        self.listener: NotifyListener | None = None

    # -- leadership loop
    def run(self) -> None:
        _APPS[self.app_key] = self.app
        _RUNNERS[self.app_key] = self
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
            _RUNNERS.pop(self.app_key, None)

    def _lead(self) -> None:
        self.scheduler = build_scheduler(self.app)
        self.scheduler.start(paused=True)
        self.scheduler.add_job("odr.scheduling.jobs:sweep_job", "interval", seconds=self.sweep_seconds,
                               id=SWEEP_JOB_ID, args=[self.app_key], replace_existing=True,
                               coalesce=True, max_instances=1, misfire_grace_time=None)
        self.scheduler.add_job("odr.scheduling.jobs:file_sweep_job", "cron", **FILE_SWEEP_AT, timezone=DEFAULT_TZ,
                               id=FILE_SWEEP_JOB_ID, args=[self.app_key], replace_existing=True,
                               coalesce=True, max_instances=1, misfire_grace_time=None)
        self.scheduler.add_listener(self._after_sweep, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        self.scheduler.resume()
        url = self.app.config["SQLALCHEMY_DATABASE_URI"]
        if url.startswith("postgresql") and self.app.config.get("SCHEDULER_LISTEN", True):
            self.listener = NotifyListener(url, self.wake).start()
        self.leading.set()
        try:
            while not self.stopping.wait(min(self.retry_seconds, 2.0)):
                if not self.lock.still_held():
                    log.warning("scheduler: lost leadership")
                    break
                if not self._scheduler_alive():
                    log.error("scheduler: APScheduler's main loop died; restarting it")
                    break
        finally:
            self.leading.clear()
            self._stop_scheduler()

    def _scheduler_alive(self) -> bool:
        """APScheduler 3 lets an exception from its job store end its main thread while
        ``running`` stays true; leading with a dead loop would send nothing forever."""
        thread = getattr(self.scheduler, "_thread", None)
        return thread is None or thread.is_alive()

    # -- early wake-ups (odr.scheduling.wakeup)
    def wake(self, at: datetime | None = None) -> None:
        """Run the sweep at ``at`` (default: now) instead of at the next tick. While a sweep
        runs, a second instance would be refused (max_instances=1), so the request is kept
        and honoured when that sweep ends."""
        scheduler = self.scheduler
        if scheduler is None or not scheduler.running:
            return
        if at is None and self.sweeping.is_set():
            self._again.set()
            return
        try:
            scheduler.modify_job(SWEEP_JOB_ID, next_run_time=at or datetime.now(UTC))
        except JobLookupError:
            pass

    def _after_sweep(self, event: JobExecutionEvent) -> None:
        """When a sweep ends, move the next one to the earliest due row if that comes first."""
        if event.job_id != SWEEP_JOB_ID or self.stopping.is_set():
            return
        if self._again.is_set():
            self._again.clear()
            self.wake()
            return
        try:
            with self.app.app_context():
                due = next_due()
        except Exception:  # noqa: BLE001 - the interval still sweeps
            log.exception("scheduler: next-due lookup failed")
            return
        moment = datetime.now(UTC)
        if due is not None and due < moment + timedelta(seconds=self.sweep_seconds):
            self.wake(max(due, moment))

    def _stop_scheduler(self) -> None:
        if self.listener is not None:
            self.listener.stop()
            self.listener = None
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
