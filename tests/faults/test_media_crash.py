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
import subprocess

import pytest

from tests.faults.helpers import free_port, kill_hard, stop
from tests.mediation.helpers import Client
from tests.mediation.processes import Endpoint, in_session, media_process, reachable

pytestmark = [pytest.mark.netns, pytest.mark.slow, pytest.mark.timeout(150)]

STALL_SECONDS = 2.0


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
        procs.append(media_process(port, tmp_path))
        mediator, party = await in_session(endpoint)
        m_id, p_id = mediator.participant_id, party.participant_id

        kill_hard(procs[-1])
        assert await _stalled(party, m_id) and await _stalled(mediator, p_id), "the loss went unnoticed"
        assert not await reachable(endpoint.url), "the server should be down"
        for client in (mediator, party):
            await client.close()

        procs.append(media_process(port, tmp_path))  # same port: the clients' URL is unchanged
        mediator, party = await in_session(endpoint)
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
