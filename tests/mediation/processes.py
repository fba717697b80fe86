"""A media server run as its own process (``python -m mediation``) and clients that rejoin it.

Used by the tests that kill or shard the server: they need a real process, not the
in-process app of ``tests.mediation.helpers.running_server``.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.faults.helpers import ROOT, free_port
from tests.mediation.helpers import SECRET, Client, token, wait_for


@dataclass
class Endpoint:
    """What tests.mediation.helpers.Client needs of a server: where to offer, who to close."""

    url: str
    clients: list[Client] = field(default_factory=list)

    @property
    def offer_url(self) -> str:
        return self.url + "/rooms/offer"


def media_process(port: int, tmp: Path, *extra: str) -> subprocess.Popen[bytes]:
    """``python -m mediation`` on 127.0.0.1:``port``, logging to ``tmp/media.log``."""
    env = {**os.environ, "ODR_MEDIA_SECRET": SECRET, "ODR_MEDIA_HOST_ADDRESSES": "127.0.0.1",
           "ODR_PUBLIC_URL": f"http://127.0.0.1:{free_port()}", "ODR_ICE_SERVERS": "[]",
           "ODR_MEDIA_RECORDINGS_DIR": str(tmp / "rec")}
    log = open(tmp / "media.log", "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen([sys.executable, "-m", "mediation", "--host", "127.0.0.1", "--port", str(port),
                                 *extra], cwd=ROOT, env=env, stdout=log, stderr=log)
    finally:
        log.close()


async def reachable(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(url, timeout=aiohttp.ClientTimeout(total=1)):
            return True
    except (TimeoutError, aiohttp.ClientError, OSError):
        return False


async def join_until_up(endpoint: Endpoint, room_token: str, luma: int, deadline: float) -> Client:
    """Rejoin with backoff until the server answers, as room.js does after a loss."""
    delay = 0.25
    while True:
        client = Client(endpoint, room_token, luma=luma)  # type: ignore[arg-type]
        try:
            await client.join()
            await client.wait_open()
            return client
        except (aiohttp.ClientError, OSError, AssertionError):
            await client.close()
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


async def in_session(endpoint: Endpoint, session_id: int = 5) -> tuple[Client, Client]:
    """A mediator and an admitted party of ``session_id``, video flowing both ways."""
    deadline = time.monotonic() + 30
    mediator = await join_until_up(
        endpoint, token(1, role="mediator", ttl=600, session_id=session_id), 40, deadline)
    party = await join_until_up(
        endpoint, token(2, role="party", side="applicant", ttl=600, session_id=session_id), 200, deadline)
    m_id, p_id = mediator.participant_id, party.participant_id
    await wait_for(lambda: mediator.state_of(p_id) == "lobby", 10)
    mediator.send({"type": "admit", "participant_id": p_id})
    await wait_for(lambda: party.video_frames.get(m_id, 0) > 10 and mediator.video_frames.get(p_id, 0) > 10, 20)
    return mediator, party
