"""The scheduler process under load (docs/benchmarks.md, "Scheduler").

    .venv/bin/python benchmarks/scheduler_bench.py [--database-url URL] [--pending 100000]
                                                   [--reminders 1000] [--sweep-seconds 1]

1. Builds the schema in the given database (default: a fresh SQLite file), a small world
   and 100,000 *pending* rows the scheduler must carry — session reminders, open
   deadlines and outbox messages waiting for a retry, all due later — inserted in bulk.
   (The scheduler keeps its work in these tables, not in APScheduler's job store, which
   holds only the sweep job; see odr/scheduling/jobs.py.)
2. Starts ``flask --app wsgi odr scheduler`` as a separate process and measures its start
   time: from spawning the process until a probe message, due at once, reaches the local
   SMTP server (aiosmtpd on 127.0.0.1) — i.e. imported, elected, first sweep done — and
   its memory (VmRSS, and the peak VmHWM at the end).
3. Acting as the web app, books 1,000 sessions whose 1-hour reminder falls due within the
   next seconds, creating the reminder rows with the app's own ``create_reminders``, and
   timestamps each reminder e-mail as it arrives at the SMTP server. Lateness = arrival
   minus due time; prints the median, p95 and max.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MSGID = re.compile(rb"Message-ID: <odr-outbox-(\d+)[.@]", re.IGNORECASE)


class Arrivals:
    """aiosmtpd handler: outbox id → arrival time (epoch seconds)."""

    def __init__(self) -> None:
        self.at: dict[int, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        moment = time.time()
        # a regex over the raw bytes, not a parse: this server shares the CPU with the scheduler
        found = MSGID.search(envelope.content[:4096])
        if found:
            with self.lock:
                self.at.setdefault(int(found.group(1)), moment)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def normalize(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def rss_kib(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process: its start cost without the machine's load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def reset_schema(db: Any) -> None:
    from sqlalchemy import text

    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
    db.create_all()


def seed_pending(world: Any, total: int) -> dict[str, int]:
    """Bulk-insert ``total`` rows that are pending but not yet due (the steady state of a
    busy platform): 40 % reminders of future sessions, 30 % open deadlines, 30 % outbox
    messages waiting for a retry."""
    from sqlalchemy import insert

    from odr.core.time import now
    from odr.extensions import db
    from odr.notifications.models import OutboxMessage
    from odr.scheduling.models import Deadline, MediationSession, SessionAttendee, SessionReminder
    from tests.scheduling.helpers import make_case

    moment = now()
    cases = [make_case(world, number=f"BENCH-{i}").id for i in range(100)]
    n_rem = total * 4 // 10
    n_sessions = n_rem // 4
    n_dl = total * 3 // 10
    n_out = total - n_rem - n_dl
    sessions = [{"case_id": cases[i % len(cases)], "starts_at": moment + timedelta(days=3, minutes=30 * i),
                 "ends_at": moment + timedelta(days=3, minutes=30 * i + 30), "status": "booked",
                 "kind": "mediation", "sequence": 0, "created_by_id": world.mediators[0].id,
                 "created_at": moment, "updated_at": moment} for i in range(n_sessions)]
    db.session.execute(insert(MediationSession), sessions)
    ids = list(db.session.scalars(db.select(MediationSession.id).order_by(MediationSession.id)))
    people = (world.applicant.id, world.respondent.id)
    starts = {sid: s["starts_at"] for sid, s in zip(ids, sessions, strict=True)}
    db.session.execute(insert(SessionAttendee), [
        {"session_id": sid, "user_id": uid, "role": "party", "accepted_at": moment} for sid in ids for uid in people])
    db.session.execute(insert(SessionReminder), [
        {"session_id": sid, "sequence": 0, "user_id": uid, "kind": kind, "due_at": starts[sid] - lead,
         "useful_until": starts[sid] - keep, "status": "pending", "created_at": moment}
        for sid in ids for uid in people
        for kind, lead, keep in (("24h", timedelta(hours=24), timedelta(hours=1)), ("1h", timedelta(hours=1), timedelta(0)))])
    db.session.execute(insert(Deadline), [
        {"case_id": cases[i % len(cases)], "kind": ("mediation_period", "confirmation_window", "performance")[i % 3],
         "due_at": moment + timedelta(days=10, minutes=i), "status": "open", "extended_count": 0,
         "created_at": moment, "updated_at": moment} for i in range(n_dl)])
    db.session.execute(insert(OutboxMessage), [
        {"key": f"bench-retry:{i}", "channel": "email", "recipient": f"r{i}@example.test", "subject": "retry",
         "body": "waiting for a retry", "extra": {}, "status": "pending", "attempts": 1,
         "next_attempt_at": moment + timedelta(hours=1, seconds=i), "created_at": moment, "updated_at": moment}
        for i in range(n_out)])
    db.session.commit()
    return {"session_reminder": len(ids) * 4, "deadline": n_dl, "outbox_message": n_out}


def create_due_reminders(world: Any, count: int, lead_seconds: float,
                         spread_seconds: float) -> tuple[dict[int, datetime], dict[int, float]]:
    """As the web app does at booking: booked sessions, reminder rows through
    ``create_reminders``, committed in batches of 100. Returns session id → due time and
    session id → commit time (epoch): a reminder cannot fire before the scheduler sees it."""
    from odr.core.time import now
    from odr.extensions import db
    from odr.scheduling.models import MediationSession, SessionAttendee
    from odr.scheduling.reminders import create_reminders

    case_id = db.session.scalar(db.text("SELECT min(id) FROM mediation_case"))
    base = now() + timedelta(hours=1, seconds=lead_seconds)
    due: dict[int, datetime] = {}
    visible: dict[int, float] = {}
    batch: list[int] = []
    for i in range(count):
        start = base + timedelta(seconds=spread_seconds * i / count)
        session = MediationSession(case_id=case_id, starts_at=start, ends_at=start + timedelta(minutes=30),
                                   status="booked", sequence=0, created_by_id=world.mediators[0].id)
        session.attendees.append(SessionAttendee(user_id=world.applicant.id, role="party", accepted_at=now()))
        db.session.add(session)
        db.session.flush()
        create_reminders(session)
        due[session.id] = start - timedelta(hours=1)
        batch.append(session.id)
        if i % 100 == 99 or i == count - 1:
            db.session.commit()
            visible.update(dict.fromkeys(batch, time.time()))
            batch.clear()
    return due, visible


def main() -> None:  # noqa: PLR0915 - one linear script
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--reminders", type=int, default=1000)
    parser.add_argument("--sweep-seconds", type=float, default=1.0)
    parser.add_argument("--lead-seconds", type=float, default=5.0, help="first reminder due this long after creation")
    parser.add_argument("--spread-seconds", type=float, default=10.0, help="due times spread over this long")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    from odr import create_app
    from odr.config import TestConfig
    from odr.extensions import db
    from odr.notifications.models import OutboxMessage
    from odr.notifications.services import enqueue
    from tests.factories import build_world

    tmp = Path(tempfile.mkdtemp(prefix="odr-schedbench-"))
    url = normalize(args.database_url or f"sqlite:///{tmp / 'bench.sqlite'}")
    arrivals = Arrivals()
    port = free_port()
    smtp = Controller(arrivals, hostname="127.0.0.1", port=port)
    smtp.start()
    app = create_app(TestConfig(tmp / "instance", url))
    results: dict[str, Any] = {"database": url.split(":")[0].split("+")[0]}
    proc = None
    try:
        with app.app_context():
            reset_schema(db)
            world = build_world()
            t = time.perf_counter()
            results["pending_rows"] = seed_pending(world, args.pending)
            results["seed_seconds"] = round(time.perf_counter() - t, 1)
            probe = enqueue("email", "probe@example.test", "probe", "start", key="bench-probe")
            probe_id = probe.id
            db.session.commit()  # and hold no transaction (SQLite: no write lock) while waiting

            env = {**os.environ, "ODR_DATABASE_URL": url, "ODR_INSTANCE_PATH": str(tmp / "scheduler"),
                   "ODR_SECRET_KEY": "bench", "ODR_SMTP_HOST": "127.0.0.1", "ODR_SMTP_PORT": str(port),
                   "ODR_SCHEDULER_ENABLED": "0"}
            log = open(tmp / "scheduler.log", "w")  # noqa: SIM115 - closed in finally via the process
            spawned = time.time()
            proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "odr", "scheduler",
                                     "--sweep-seconds", str(args.sweep_seconds)],
                                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            while probe_id not in arrivals.at:
                if proc.poll() is not None:
                    raise SystemExit(f"scheduler exited: {(tmp / 'scheduler.log').read_text()[-2000:]}")
                if time.time() - spawned > 120:
                    raise SystemExit("scheduler did not send the probe within 120 s")
                time.sleep(0.02)
            results["start_seconds"] = round(arrivals.at[probe_id] - spawned, 2)
            results["start_cpu_seconds"] = round(cpu_seconds(proc.pid), 2)
            results["rss_after_start_mib"] = round(rss_kib(proc.pid)["VmRSS"] / 1024, 1)

            t = time.perf_counter()
            due, visible = create_due_reminders(world, args.reminders, args.lead_seconds, args.spread_seconds)
            results["create_seconds"] = round(time.perf_counter() - t, 2)
            deadline = time.time() + args.lead_seconds + args.spread_seconds + 120
            keys: dict[int, int] = {}
            while time.time() < deadline:
                rows = db.session.execute(db.select(OutboxMessage.id, OutboxMessage.key).where(
                    OutboxMessage.key.like("reminder-1h:%:email:%"))).all()
                db.session.rollback()
                keys = {oid: int(key.split(":")[2]) for oid, key in rows}
                if len(keys) >= len(due) and all(oid in arrivals.at for oid in keys):
                    break
                time.sleep(0.25)
            # lateness counts from when the reminder was due and committed (visible to the scheduler)
            late = sorted(arrivals.at[oid] - max(due[sid].timestamp(), visible[sid])
                          for oid, sid in keys.items() if oid in arrivals.at)
            results["created_after_due"] = sum(1 for sid in due if visible[sid] > due[sid].timestamp())
            results["reminders_arrived"] = f"{len(late)}/{len(due)}"
            if late:
                results["lateness_median_s"] = round(statistics.median(late), 3)
                results["lateness_p95_s"] = round(late[int(len(late) * 0.95) - 1], 3)
                results["lateness_max_s"] = round(late[-1], 3)
                results["lateness_min_s"] = round(late[0], 3)
            mem = rss_kib(proc.pid)
            results["rss_end_mib"] = round(mem["VmRSS"] / 1024, 1)
            results["rss_peak_mib"] = round(mem["VmHWM"] / 1024, 1)
            results["scheduler_cpu_seconds_end"] = round(cpu_seconds(proc.pid), 2)
            results["load_average"] = os.getloadavg()
            results["cpus"] = os.cpu_count()
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        smtp.stop()
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
