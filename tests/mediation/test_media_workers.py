"""``python -m mediation --workers 2``: rooms sharded over processes behind one address.

A room's participants must all land in the worker that owns its session; a worker
killed hard is started again and its session can be rejoined while the other
worker's room carries on untouched; the front refuses bad offers itself; and no
worker outlives the front, whether it is stopped or killed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time

import aiohttp
import pytest

from mediation.workers import worker_index
from tests.faults.helpers import free_port, kill_hard, stop
from tests.mediation.helpers import token, wait_for
from tests.mediation.processes import Endpoint, in_session, media_process


def test_sessions_map_to_workers_stably():
    assert [worker_index(s, 2) for s in (4, 5, 6, 7)] == [0, 1, 0, 1]
    assert worker_index("abc", 3) == worker_index("abc", 3)
    assert {worker_index(f"s{i}", 3) for i in range(30)} == {0, 1, 2}


async def _health(url: str) -> dict:
    async with aiohttp.ClientSession() as http, http.get(url + "/healthz") as resp:
        assert resp.status == 200
        return await resp.json()


async def _wait_health(url: str, predicate, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            health = await _health(url)
            if predicate(health):
                return health
        except (aiohttp.ClientError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"health never matched: {locals().get('health')}")
        await asyncio.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not alive
        return stat.read().split()[2] != "Z"


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_two_workers_share_rooms_and_survive_a_worker_crash(tmp_path):
    from mediation.ice import install_host_addresses

    install_host_addresses(["127.0.0.1"])
    port = free_port()
    endpoint = Endpoint(f"http://127.0.0.1:{port}")
    front = media_process(port, tmp_path, "--workers", "2")
    pids: list[int] = []

    async def scenario() -> None:
        health = await _wait_health(endpoint.url, lambda h: h["status"] == "ok")
        assert [w["worker"] for w in health["workers"]] == [0, 1]
        pids.extend(w["pid"] for w in health["workers"])

        even = await in_session(endpoint, session_id=4)  # worker 0
        odd = await in_session(endpoint, session_id=5)  # worker 1
        health = await _health(endpoint.url)
        assert [w["rooms"] for w in health["workers"]] == [1, 1]
        assert [w["participants"] for w in health["workers"]] == [2, 2]
        assert health["rooms"] == 2

        # The front answers bad offers itself, in the API's error shape.
        async with aiohttp.ClientSession() as http:
            async with http.post(endpoint.offer_url, json={"token": "nope", "type": "offer", "sdp": ""}) as resp:
                assert resp.status == 401
                assert (await resp.json())["error"]["code"] == "token_invalid"
            async with http.post(endpoint.offer_url, data=b"not json") as resp:
                assert resp.status == 400
        # A room's second token never reaches the other worker: a late joiner of session 5 is
        # in the same room as its mediator (the roster shows the lobby entry).
        late = await in_session_party(endpoint, session_id=5)
        await wait_for(lambda: odd[0].state_of(late.participant_id) == "lobby", 10)

        os.kill(pids[1], signal.SIGKILL)  # worker 1 dies with session 5's room
        health = await _wait_health(
            endpoint.url, lambda h: h["workers"][1]["restarts"] == 1 and h["workers"][1]["status"] == "ok")
        assert health["workers"][1]["pid"] not in pids and health["workers"][1]["rooms"] == 0
        assert health["workers"][0]["pid"] == pids[0] and health["workers"][0]["rooms"] == 1
        mediator, party = even
        frames = party.video_frames.get(mediator.participant_id, 0)
        await asyncio.sleep(1.0)
        assert party.video_frames.get(mediator.participant_id, 0) > frames + 10, "worker 0's room stalled"
        pids.append(health["workers"][1]["pid"])

        for client in list(endpoint.clients):
            if client not in even:
                await client.close()
        again = await in_session(endpoint, session_id=5)  # the restarted worker takes the session back
        assert again[0].participant_id
        for client in endpoint.clients:
            await client.close()

    try:
        asyncio.run(scenario())
        stop(front)
        assert front.returncode == 0
        assert wait_gone(pids), "a worker outlived the front's clean stop"
    finally:
        stop(front)
        install_host_addresses([])


async def in_session_party(endpoint: Endpoint, session_id: int):
    from tests.mediation.helpers import Client

    client = Client(endpoint, token(3, role="party", side="respondent", ttl=600, session_id=session_id))  # type: ignore[arg-type]
    await client.join()
    await client.wait_open()
    return client


def wait_gone(pids: list[int], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.netns
@pytest.mark.timeout(60)
def test_workers_exit_when_the_front_is_killed(tmp_path):
    port = free_port()
    front: subprocess.Popen[bytes] = media_process(port, tmp_path, "--workers", "2")
    try:
        health = asyncio.run(_wait_health(f"http://127.0.0.1:{port}", lambda h: h["status"] == "ok"))
        pids = [w["pid"] for w in health["workers"]]
        assert all(_alive(p) for p in pids)
        kill_hard(front)
        assert wait_gone(pids), "workers kept running without their front"
    finally:
        stop(front)
