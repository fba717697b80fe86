"""The media server is killed (SIGKILL) during a session and started again on its port.

Two aiortc participants (a mediator and a party, as in tests/mediation) are in a room on
a media server that runs as its own process (``python -m mediation``). The server is
killed: both clients must notice (their media stops), keep trying to rejoin while it is
down, and — once it is back on the same port — rejoin, the mediator admits the party
from the lobby again (room state lives in the server's memory), and video flows again.

The browser client (odr/static/js/room.js) does the same from ``connectionstatechange``:
it shows "Connection lost, reconnecting…" and rejoins with backoff. aiortc has no quick
"disconnected" state (its ICE consent check takes ~30 s to fail), so this test's clients
detect the loss as a media stall, which is what a participant sees first. Runs inside a
loopback-only network namespace (``netns``), like every test with WebRTC peers.
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
import pytest

from tests.faults.helpers import ROOT, free_port, kill_hard, stop
from tests.mediation.helpers import SECRET, Client, token, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.slow, pytest.mark.timeout(150)]

STALL_SECONDS = 2.0


@dataclass
class Endpoint:
    """What tests.mediation.helpers.Client needs of a server: where to offer, who to close."""

    url: str
    clients: list[Client] = field(default_factory=list)

    @property
    def offer_url(self) -> str:
        return self.url + "/rooms/offer"


def _media_process(port: int, tmp: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ODR_MEDIA_SECRET": SECRET, "ODR_MEDIA_HOST_ADDRESSES": "127.0.0.1",
           "ODR_PUBLIC_URL": f"http://127.0.0.1:{free_port()}", "ODR_ICE_SERVERS": "[]",
           "ODR_MEDIA_RECORDINGS_DIR": str(tmp / "rec")}
    log = open(tmp / "media.log", "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen([sys.executable, "-m", "mediation", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=log)
    finally:
        log.close()


async def _reachable(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(url, timeout=aiohttp.ClientTimeout(total=1)):
            return True
    except (TimeoutError, aiohttp.ClientError, OSError):
        return False


async def _join_until_up(endpoint: Endpoint, room_token: str, luma: int, deadline: float) -> Client:
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


async def _in_session(endpoint: Endpoint) -> tuple[Client, Client]:
    deadline = time.monotonic() + 30
    mediator = await _join_until_up(endpoint, token(1, role="mediator", ttl=600), 40, deadline)
    party = await _join_until_up(endpoint, token(2, role="party", side="applicant", ttl=600), 200, deadline)
    m_id, p_id = mediator.participant_id, party.participant_id
    await wait_for(lambda: mediator.state_of(p_id) == "lobby", 10)
    mediator.send({"type": "admit", "participant_id": p_id})
    await wait_for(lambda: party.video_frames.get(m_id, 0) > 10 and mediator.video_frames.get(p_id, 0) > 10, 20)
    return mediator, party


async def _stalled(client: Client, sender: str) -> bool:
    before = client.video_frames.get(sender, 0)
    await asyncio.sleep(STALL_SECONDS)
    return client.video_frames.get(sender, 0) == before


def test_clients_see_the_loss_and_reconnect_when_the_server_is_back(tmp_path):
    from mediation.ice import install_host_addresses

    install_host_addresses(["127.0.0.1"])  # the clients, too, must offer a loopback candidate
    port = free_port()
    endpoint = Endpoint(f"http://127.0.0.1:{port}")
    procs: list[subprocess.Popen[bytes]] = []

    async def scenario() -> None:
        procs.append(_media_process(port, tmp_path))
        mediator, party = await _in_session(endpoint)
        m_id, p_id = mediator.participant_id, party.participant_id

        kill_hard(procs[-1])
        assert await _stalled(party, m_id) and await _stalled(mediator, p_id), "the loss went unnoticed"
        assert not await _reachable(endpoint.url), "the server should be down"
        for client in (mediator, party):
            await client.close()

        procs.append(_media_process(port, tmp_path))  # same port: the clients' URL is unchanged
        mediator, party = await _in_session(endpoint)
        m_id, p_id = mediator.participant_id, party.participant_id
        frames = party.video_frames.get(m_id, 0)
        await asyncio.sleep(1.0)
        assert party.video_frames.get(m_id, 0) > frames + 10, "video is not flowing after the reconnect"
        for client in endpoint.clients:
            await client.close()

    try:
        asyncio.run(scenario())
    finally:
        for proc in procs:
            stop(proc)
        install_host_addresses([])
