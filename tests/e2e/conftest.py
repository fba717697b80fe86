"""Fixtures for the browser journey: the app started the way the README starts it, and
one real Chromium per person.

The app is not built in-process: a real ``flask db upgrade`` and ``python -m odr.serve``
(demo seed, embedded scheduler, media server child process) run as subprocesses on free
loopback ports, so the test meets exactly what an operator gets from ``scripts/run.sh``.
Every browser is Debian's Chromium with the flags DESIGN.md lists ("Video on one machine,
safely") and its own fresh profile, so sessions, cookies and fake devices never mix.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM, CHROMIUM_FLAGS

ROOT = Path(__file__).resolve().parents[2]
LOGIN_LINE = re.compile(r"^\s+(.+?)\s+(demo_\w+)\s+(\S+)\s*$")


def free_port() -> int:
    """A loopback port nobody listens on right now (the app binds it moments later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


@dataclass
class OdrServer:
    """The running app: where it answers, the printed demo logins, and its console log."""

    base_url: str
    media_url: str
    logins: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the app's console, for assertion messages when a step fails."""
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM (odr.serve then stops its media child), then SIGKILL the whole group if needed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:  # the process group is ours alone (start_new_session): nothing may outlive the test
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc.poll() is None:
        proc.wait(timeout=10)


@pytest.fixture()
def odr_server(tmp_path: Path, artifacts_dir: Path) -> Iterator[OdrServer]:
    """``flask db upgrade`` then ``python -m odr.serve`` on free ports, as the README runs it."""
    port, media_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("ODR_DATABASE_URL", "ODR_TEST_DATABASE_URL")}
    env.update({
        "ODR_INSTANCE_PATH": str(tmp_path / "instance"),
        "ODR_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ODR_MEDIA_URL": f"http://127.0.0.1:{media_port}",
        "ODR_MEDIA_HOST_ADDRESSES": "127.0.0.1",
        "ODR_ICE_SERVERS": "[]",
        "ODR_SCHEDULER_ENABLED": "1",
        "PYTHONUNBUFFERED": "1",
    })
    (tmp_path / "instance").mkdir()
    upgrade = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=180)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-m", "odr.serve", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        healthy = False
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    healthy = resp.status == 200
            except (urllib.error.URLError, OSError):
                healthy = False
            if healthy:
                break
            time.sleep(0.3)
        console = log_path.read_text(errors="replace")
        assert healthy, f"the app did not become healthy:\n{console[-4000:]}"
        assert _wait_port(media_port, time.monotonic() + 30), f"no media server:\n{console[-4000:]}"
        logins = {m.group(2): m.group(3) for line in console.splitlines() if (m := LOGIN_LINE.match(line))}
        assert "demo_orgadmin" in logins and "demo_judge" in logins, f"no demo logins printed:\n{console[-4000:]}"
        yield OdrServer(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{media_port}", logins, log_path, proc)
    finally:
        _stop(proc)
        shutil.copyfile(log_path, artifacts_dir / "serve.log")  # the app's console, next to the screenshots


@pytest.fixture()
def artifacts_dir() -> Path:
    """$ARTIFACTS_DIR/e2e (scripts/test.sh sets ARTIFACTS_DIR; CI prints and keeps it)."""
    base = Path(os.environ.get("ARTIFACTS_DIR") or ROOT / "artifacts")
    folder = base / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


class Browsers:
    """One Chromium per person (fresh profile each), closed together at the end."""

    def __init__(self, playwright: Any, profiles: Path, base_url: str) -> None:
        self.playwright = playwright
        self.profiles = profiles
        self.base_url = base_url
        self.contexts: list[Any] = []

    def open(self, who: str) -> Any:
        """A new page in a new browser for ``who``, in Chinese and Beijing time like a real user."""
        context = self.playwright.chromium.launch_persistent_context(
            str(self.profiles / who), executable_path=CHROMIUM, headless=False, args=CHROMIUM_FLAGS,
            ignore_default_args=["--headless"], base_url=self.base_url, locale="zh-CN",
            timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}, accept_downloads=True)
        self.contexts.append(context)
        context.set_default_timeout(20_000)
        context.set_default_navigation_timeout(30_000)
        return context.pages[0] if context.pages else context.new_page()

    def close(self) -> None:
        for context in self.contexts:
            try:
                context.close()
            except Exception:  # noqa: BLE001 - a crashed browser must not hide the test's own failure
                pass


@pytest.fixture()
def browsers(odr_server: OdrServer, tmp_path: Path) -> Iterator[Browsers]:
    """Playwright (sync API) over Debian's Chromium; every browser closed afterwards."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        pool = Browsers(pw, tmp_path / "profiles", odr_server.base_url)
        try:
            yield pool
        finally:
            pool.close()
