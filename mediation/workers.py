"""``python -m mediation --workers N``: one signaling address, N media processes.

Why: aiortc runs on one asyncio loop, so one process forwards on one core, and a
busy loop also delays every packet it has not read yet. Rooms are independent,
so they shard cleanly: each worker is an ordinary media server (``create_app``)
on a private Unix socket, and this front process answers ``POST /rooms/offer``
by checking the token and passing the offer, unchanged, to the worker that owns
the token's session (``session_id`` modulo N, so every participant of a room
and every rejoin lands in the same process). Media never passes through the
front: the answer's ICE candidates are the worker's own UDP sockets. Clients
see no difference; the web app keeps handing out one ``signaling_url``.

A worker that dies is started again on the same socket (its rooms are gone, as
after a restart of a single server; clients rejoin). Workers exit by themselves
if the front process disappears.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from mediation.config import Settings
from mediation.server import MAX_OFFER_BYTES, SETTINGS_KEY, checked_offer, cors_middleware, error_response

logger = logging.getLogger(__name__)

START_TIMEOUT = 30.0
RESTART_BACKOFF = (0.5, 1.0, 2.0, 5.0)
PARENT_CHECK_SECONDS = 1.0


def worker_index(session_id: int | str, count: int) -> int:
    """Which worker owns a session: stable across processes and restarts."""
    if isinstance(session_id, int):
        return session_id % count
    return zlib.crc32(str(session_id).encode()) % count


@dataclass
class Worker:
    """One media-server process on its Unix socket."""

    index: int
    socket_path: str
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = field(default_factory=time.monotonic)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class WorkerPool:
    """Starts, routes to, watches and stops the worker processes."""

    def __init__(self, count: int, *, dev: bool = False, verbose: bool = False,
                 socket_dir: str | None = None) -> None:
        if count < 1:
            raise ValueError("at least one worker")
        self.dev, self.verbose = dev, verbose
        self._own_dir = socket_dir is None
        self.socket_dir = socket_dir or tempfile.mkdtemp(prefix="odr-media-")
        self.workers = [Worker(i, os.path.join(self.socket_dir, f"worker-{i}.sock")) for i in range(count)]
        self._watch: asyncio.Task | None = None
        self._sessions: list[aiohttp.ClientSession] = []

    # -- processes ------------------------------------------------------------
    def _spawn(self, worker: Worker) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(worker.socket_path)
        cmd = [sys.executable, "-m", "mediation", "--unix", worker.socket_path,
               "--parent-pid", str(os.getpid())]
        cmd += ["--dev"] * self.dev + ["--verbose"] * self.verbose
        worker.process = subprocess.Popen(cmd)
        worker.started_at = time.monotonic()
        logger.info("media worker %d started (pid %d)", worker.index, worker.process.pid)

    async def start(self) -> None:
        for worker in self.workers:
            self._spawn(worker)
        self._sessions = [
            aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=w.socket_path)) for w in self.workers
        ]
        deadline = time.monotonic() + START_TIMEOUT
        for worker in self.workers:
            while not await self._answers(worker):
                if time.monotonic() > deadline or not worker.alive:
                    await self.stop()
                    raise RuntimeError(f"media worker {worker.index} did not start")
                await asyncio.sleep(0.1)
        self._watch = asyncio.create_task(self._watch_loop())

    async def _answers(self, worker: Worker) -> bool:
        try:
            async with self._sessions[worker.index].get(
                "http://worker/healthz", timeout=aiohttp.ClientTimeout(total=2)
            ) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, OSError, TimeoutError):
            return False

    async def _watch_loop(self) -> None:
        """Start a dead worker again, backing off if it keeps dying at once."""
        while True:
            await asyncio.sleep(0.2)
            for worker in self.workers:
                if worker.alive or worker.process is None:
                    continue
                code = worker.process.returncode
                quick = time.monotonic() - worker.started_at < 10
                delay = RESTART_BACKOFF[min(worker.restarts, len(RESTART_BACKOFF) - 1)] if quick else 0
                logger.error("media worker %d exited with %s; restarting in %.1f s", worker.index, code, delay)
                worker.process = None
                await asyncio.sleep(delay)
                worker.restarts += 1
                self._spawn(worker)

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        for worker in self.workers:
            if worker.alive:
                worker.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        for worker in self.workers:
            if worker.process is not None:
                try:
                    await asyncio.to_thread(worker.process.wait, 10)
                except subprocess.TimeoutExpired:
                    worker.process.kill()
        for session in self._sessions:
            await session.close()
        if self._own_dir:
            for worker in self.workers:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(worker.socket_path)
            with contextlib.suppress(OSError):
                os.rmdir(self.socket_dir)

    # -- requests ---------------------------------------------------------------
    async def forward_offer(self, index: int, body: bytes, wait: float = 10.0) -> tuple[int, bytes]:
        """POST the offer to worker ``index``; wait briefly if it is being restarted."""
        deadline = time.monotonic() + wait
        while True:
            try:
                async with self._sessions[index].post(
                    "http://worker/rooms/offer", data=body, headers={"Content-Type": "application/json"},
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as resp:
                    return resp.status, await resp.read()
            except (aiohttp.ClientConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def health(self) -> list[dict[str, Any]]:
        async def one(worker: Worker) -> dict[str, Any]:
            entry: dict[str, Any] = {"worker": worker.index, "restarts": worker.restarts,
                                     "pid": worker.process.pid if worker.alive else None}  # type: ignore[union-attr]
            try:
                async with self._sessions[worker.index].get(
                    "http://worker/healthz", timeout=aiohttp.ClientTimeout(total=2)
                ) as resp:
                    entry.update(await resp.json())
            except (aiohttp.ClientError, OSError, TimeoutError, ValueError):
                entry["status"] = "down"
            return entry

        return list(await asyncio.gather(*(one(w) for w in self.workers)))


POOL_KEY = web.AppKey("pool", WorkerPool)
PARENT_WATCH_KEY = web.AppKey("parent_watch", asyncio.Task)


async def front_offer(request: web.Request) -> web.Response:
    """Check the token (to learn the session), then let the owning worker answer."""
    body = await request.read()
    checked = await checked_offer(request)
    if isinstance(checked, web.Response):
        return checked
    _params, claims = checked
    pool = request.app[POOL_KEY]
    try:
        status, answer = await pool.forward_offer(worker_index(claims.session_id, len(pool.workers)), body)
    except (aiohttp.ClientError, OSError):
        return error_response(503, "media_unavailable", "the media server is restarting; try again")
    return web.Response(status=status, body=answer, content_type="application/json")


async def front_health(request: web.Request) -> web.Response:
    workers = await request.app[POOL_KEY].health()
    up = [w for w in workers if w.get("status") == "ok"]
    return web.json_response({
        "status": "ok" if len(up) == len(workers) else "degraded",
        "rooms": sum(w.get("rooms", 0) for w in up),
        "participants": sum(w.get("participants", 0) for w in up),
        "workers": workers,
    })


def create_front_app(settings: Settings, pool: WorkerPool) -> web.Application:
    """The signaling front: same routes, CORS and body cap as a single server."""
    app = web.Application(middlewares=[cors_middleware], client_max_size=MAX_OFFER_BYTES)
    app[SETTINGS_KEY] = settings
    app[POOL_KEY] = pool

    async def start_pool(_app: web.Application) -> None:
        await pool.start()

    async def stop_pool(_app: web.Application) -> None:
        await pool.stop()

    app.on_startup.append(start_pool)
    app.on_shutdown.append(stop_pool)  # before Ctrl-C's SIGINT to the group could trigger restarts
    app.router.add_post("/rooms/offer", front_offer)
    app.router.add_get("/healthz", front_health)
    return app


async def exit_with_parent(parent_pid: int) -> None:
    """In a worker: stop when the front process is gone (its pid no longer our parent)."""
    while os.getppid() == parent_pid:
        await asyncio.sleep(PARENT_CHECK_SECONDS)
    logger.error("media front process %d is gone; worker exiting", parent_pid)
    os.kill(os.getpid(), signal.SIGTERM)
