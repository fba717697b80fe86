"""Signed callbacks to the web app: room events and finished recordings.

Callbacks run as background tasks with a few retries and exponential backoff,
so a slow or absent web app never stalls media.  Without a callback base
(``ODR_PUBLIC_URL``) they are logged and dropped; recordings stay on disk.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import aiohttp

from mediation.protocol import (
    CALLBACK_SIGNATURE_HEADER,
    EVENTS_PATH,
    RECORDINGS_PATH,
    event_body,
    recording_signed_bytes,
    sign_callback,
)

logger = logging.getLogger(__name__)


class Callbacks:
    """Posts events and recordings to ``{callback_base}/media/...``."""

    def __init__(
        self, secret: str, callback_base: str | None, retries: int = 4, backoff: float = 1.0
    ) -> None:
        self.secret = secret
        self.base = callback_base.rstrip("/") if callback_base else None
        self.retries = retries
        self.backoff = backoff
        self._tasks: set[asyncio.Task] = set()
        self._session: aiohttp.ClientSession | None = None

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        return self._session

    def event(self, event: str, session_id: int | str, **fields: Any) -> None:
        """Report a room event; returns at once."""
        body = event_body(event, session_id, **fields)
        if self.base is None:
            logger.info("event (no callback base): %s", body.decode("utf-8"))
            return
        self._spawn(self._post_event(body))

    async def _post_event(self, body: bytes) -> None:
        async def attempt(client: aiohttp.ClientSession) -> int:
            headers = {
                "Content-Type": "application/json",
                CALLBACK_SIGNATURE_HEADER: sign_callback(self.secret, body),
            }
            async with client.post(self.base + EVENTS_PATH, data=body, headers=headers) as resp:
                return resp.status

        await self._with_retries(attempt, "event")

    def recording(self, path: str, session_id: int | str, sha256: str,
                  started_at: str, ended_at: str) -> None:
        """Deliver a finished recording file; returns at once."""
        if self.base is None:
            logger.warning("no callback base: recording kept at %s (sha256 %s)", path, sha256)
            return
        self._spawn(self._post_recording(path, session_id, sha256, started_at, ended_at))

    async def _post_recording(self, path: str, session_id: int | str, sha256: str,
                              started_at: str, ended_at: str) -> None:
        async def attempt(client: aiohttp.ClientSession) -> int:
            form = aiohttp.FormData()
            form.add_field("session_id", str(session_id))
            form.add_field("sha256", sha256)
            form.add_field("started_at", started_at)
            form.add_field("ended_at", ended_at)
            with open(path, "rb") as fh:  # noqa: ASYNC230 - aiohttp streams it in chunks
                form.add_field("file", fh, filename=os.path.basename(path), content_type="video/webm")
                signed = recording_signed_bytes(session_id, sha256, started_at, ended_at)
                headers = {CALLBACK_SIGNATURE_HEADER: sign_callback(self.secret, signed)}
                async with client.post(self.base + RECORDINGS_PATH, data=form, headers=headers) as resp:
                    return resp.status

        await self._with_retries(attempt, f"recording {path}")

    async def _with_retries(self, attempt: Any, what: str) -> bool:
        delay = self.backoff
        for n in range(1, self.retries + 1):
            try:
                status = await attempt(await self._client())
                if 200 <= status < 300:
                    return True
                if 400 <= status < 500 and status not in (408, 429):
                    logger.error("callback %s refused with HTTP %s; not retrying", what, status)
                    return False
                logger.warning("callback %s got HTTP %s (attempt %d)", what, status, n)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                logger.warning("callback %s failed (attempt %d): %s", what, n, exc)
            if n < self.retries:
                await asyncio.sleep(delay)
                delay *= 2
        logger.error("callback %s gave up after %d attempts", what, self.retries)
        return False

    async def drain(self, timeout: float = 10) -> None:
        """Wait (bounded) for pending callbacks, then close the HTTP client."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        if self._session is not None:
            await self._session.close()
