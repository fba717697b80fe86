"""Electing the one scheduler that acts: a PostgreSQL advisory lock, or a file lock.

On PostgreSQL the leader holds a session-level ``pg_try_advisory_lock`` on a connection
of its own for as long as it leads; if that process dies, its connection closes and the
lock is free for the next candidate. On SQLite (the embedded single-machine shape) an
exclusive ``flock`` on a file in the instance folder plays the same part.
"""

from __future__ import annotations

import fcntl
import logging
import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO, Any

from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

log = logging.getLogger("odr.scheduling")

ADVISORY_KEY = 7_301_2027  # distinct from the audit chain's lock


class LeaderLock(ABC):
    """How candidates decide who leads; ``acquire`` never blocks."""

    @abstractmethod
    def acquire(self) -> bool:
        """Try once to become leader."""

    def still_held(self) -> bool:
        return True

    def release(self) -> None:
        return None

    def describe(self) -> str:
        return type(self).__name__


class PostgresAdvisoryLock(LeaderLock):
    def __init__(self, url: str, key: int = ADVISORY_KEY) -> None:
        self.engine = create_engine(url, poolclass=NullPool)
        self.key = key
        self.conn: Any = None

    def acquire(self) -> bool:
        if self.conn is not None and self.still_held():
            return True  # already leading (a restart of our own scheduler): do not stack the lock
        try:
            if self.conn is None:
                self.conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            return bool(self.conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        except Exception:  # noqa: BLE001 - database away: not leading, try again later
            log.exception("leader election failed")
            self._drop()
            return False

    def still_held(self) -> bool:
        try:
            return bool(self.conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND objid = :k"), {"k": self.key}).scalar())
        except Exception:  # noqa: BLE001 - a broken connection means the lock is gone
            self._drop()
            return False

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            except Exception:  # noqa: BLE001 - closing the connection releases it anyway
                pass
        self._drop()

    def _drop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001
                pass
        self.conn = None

    def describe(self) -> str:
        return f"PostgreSQL advisory lock {self.key}"


class FileLock(LeaderLock):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def acquire(self) -> bool:
        if self.handle is not None:
            return True  # flock is per open file: a second open() by the holder would refuse itself
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held open while leading
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle
        return True

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None

    def describe(self) -> str:
        return f"file lock {self.path}"


def leader_lock_for(app: Flask) -> LeaderLock:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgresql"):
        return PostgresAdvisoryLock(url)
    return FileLock(Path(app.instance_path) / "scheduler.lock")
