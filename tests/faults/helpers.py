"""Processes the fault tests start, kill and restart: the app, the scheduler, PostgreSQL.

Every helper binds to 127.0.0.1 on a free port and is used inside ``try/finally`` so no
server outlives its test. Killing is always ``SIGKILL`` of the one process the test
started (by its pid): the point is to see what a crash leaves behind, not a clean stop.
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1,
               what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:.0f} s")
        time.sleep(interval)


def request(port: int, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None,
            timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to 127.0.0.1; JSON-encodes ``body`` when it is not bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    hdrs = dict(headers or {})
    data: bytes | None = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        hdrs.setdefault("Content-Type", "application/json")
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def kill_hard(proc: subprocess.Popen[Any] | None) -> None:
    """SIGKILL the process this test started and reap it (no-op when already gone)."""
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


def stop(proc: subprocess.Popen[Any] | None) -> None:
    """SIGTERM, then SIGKILL after a grace period: the cleanup every test ends with."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        kill_hard(proc)


class AppProcess:
    """``python -m odr.serve --no-media --no-seed`` on a free port, as a separate process.

    A separate process because the faults under test (SIGKILL, a full disk, a database
    that goes away) must hit the real server, not the test's own interpreter. ``wrap``
    rewrites the command (e.g. into ``unshare -m sh -c …`` to give it a tiny filesystem).
    """

    def __init__(self, env: dict[str, str], *, port: int | None = None,
                 wrap: Callable[[list[str]], list[str]] | None = None, log: Path | None = None) -> None:
        self.port = port or free_port()
        self.env = {**os.environ, "ODR_SCHEDULER_ENABLED": "0", "ODR_RATELIMIT_ENABLED": "0",
                    "ODR_PUBLIC_URL": f"http://127.0.0.1:{self.port}", **env}
        self.env.pop("ODR_TEST_DATABASE_URL", None)
        self.wrap = wrap
        self.log = log
        self.proc: subprocess.Popen[Any] | None = None

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "odr.serve", "--no-media", "--no-seed", "--port", str(self.port)]
        return self.wrap(cmd) if self.wrap else cmd

    def start(self, timeout: float = 60) -> AppProcess:
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - handed to Popen
        self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        if self.log:
            out.close()  # type: ignore[union-attr]

        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"app exited with {self.proc.returncode}; see {self.log}")
            try:
                return request(self.port, "GET", "/healthz", timeout=2)[0] in (200, 503)
            except OSError:
                return False

        wait_until(up, timeout, 0.2, "app start")
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        kill_hard(self.proc)

    def stop(self) -> None:
        stop(self.proc)

    def token(self, username: str, password: str) -> dict[str, str]:
        status, _, body = request(self.port, "POST", "/api/v1/auth/token",
                                  body={"username": username, "password": password})
        assert status == 200, body
        return {"Authorization": f"Bearer {json.loads(body)['token']}"}


def app_env(app: Any, **extra: str) -> dict[str, str]:
    """The environment that makes a subprocess app use the test app's database and folders."""
    return {"ODR_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "ODR_INSTANCE_PATH": app.config["INSTANCE_PATH"],
            "ODR_STORAGE_PATH": app.config["STORAGE_PATH"],
            "ODR_DOCUMENTS_PATH": app.config["DOCUMENTS_PATH"],
            "ODR_SECRET_KEY": app.config["SECRET_KEY"], **extra}


# ------------------------------------------------------------------ a private PostgreSQL

def pg_bin() -> Path | None:
    """The newest PostgreSQL server binaries installed (Debian keeps them off PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temp folder on a free 127.0.0.1 port.

    The fault test restarts it; the shared server on 5432 is never touched. initdb
    refuses to run as root, so as root it runs as the ``postgres`` OS user.
    """

    def __init__(self) -> None:
        binaries = pg_bin()
        if binaries is None:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = binaries
        # its own folder under /tmp: pytest's tmp_path (mode 700, owned by root) is not
        # reachable by the postgres user
        self.base = Path(tempfile.mkdtemp(prefix="odr-faults-pg-"))
        self.data = self.base / "pgdata"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                raise RuntimeError("running as root without runuser")
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.base, "postgres", "postgres")

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([*self.as_user, *args], check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def init(self) -> PrivatePostgres:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        return self

    def _ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.base} -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "pg.log"),
                  "-o", opts, "-w", "-t", "60", *extra, action)

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def cleanup(self) -> None:
        """Stop it if running (immediate) and remove its folder."""
        if (self.data / "postmaster.pid").exists():
            try:
                self._ctl("stop", "-m", "immediate")
            except subprocess.SubprocessError:
                pass
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

