"""The daily orphan-file sweep job: declared by the leading scheduler next to the sweep (a
stored APScheduler job at 03:30 Asia/Shanghai), and when it fires it sweeps the storage."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from odr.core.storage import get_storage
from odr.core.time import DEFAULT_TZ, UTC
from odr.scheduling.jobs import FILE_SWEEP_JOB_ID, SWEEP_JOB_ID, SchedulerRunner
from tests.storage_sweep.helpers import age, sweep_events, write_file


def _until(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_leader_declares_the_daily_job_and_it_sweeps(app, world):
    storage = get_storage()
    orphan = write_file(storage)
    age(storage)
    runner = SchedulerRunner(app, sweep_seconds=3600, retry_seconds=0.2).start_in_thread()
    try:
        assert runner.leading.wait(30), "the scheduler did not start leading"
        scheduler = runner.scheduler
        assert scheduler is not None and scheduler.get_job(SWEEP_JOB_ID) is not None
        job = scheduler.get_job(FILE_SWEEP_JOB_ID)
        assert isinstance(job.trigger, CronTrigger) and job.trigger.timezone == DEFAULT_TZ
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
        local = job.next_run_time.astimezone(DEFAULT_TZ)
        assert (local.hour, local.minute) == (3, 30)
        assert timedelta(0) < job.next_run_time - datetime.now(UTC) <= timedelta(days=1)
        assert storage.exists(orphan)

        scheduler.modify_job(FILE_SWEEP_JOB_ID, next_run_time=datetime.now(UTC))  # 03:30, now
        assert _until(lambda: not storage.exists(orphan)), "the job did not remove the orphan"
        assert _until(lambda: len(sweep_events()) == 1)
    finally:
        runner.stop()
    event = sweep_events()[0]
    assert event.after["deleted"] == 1 and event.after["refused"] is False
