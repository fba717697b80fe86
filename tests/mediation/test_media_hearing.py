"""A court hearing has no caucus: the server refuses it, whatever the page shows."""

from __future__ import annotations

import asyncio

import pytest

from tests.mediation.helpers import Client, running_server, token, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.timeout(60)]


def test_hearing_refuses_caucus_with_not_allowed(tmp_path):
    async def scenario() -> None:
        async with running_server(tmp_path) as server:
            judge = Client(server, token(1, role="judge", side=None, kind="hearing"), luma=40)
            party = Client(server, token(2, kind="hearing"), luma=200)
            for client in (judge, party):
                await client.join()
            for client in (judge, party):
                await client.wait_open()
            p_id = party.participant_id
            await wait_for(lambda: judge.state_of(p_id) == "lobby")
            judge.send({"type": "admit", "participant_id": p_id})  # the judge hosts a hearing
            await wait_for(lambda: judge.state_of(p_id) == "admitted")

            judge.send({"type": "caucus", "participant_ids": [p_id]})
            await wait_for(lambda: judge.last("error") is not None)
            assert judge.last("error")["code"] == "not_allowed"
            judge.send({"type": "caucus_end"})
            await wait_for(lambda: len([m for m in judge.messages if m["type"] == "error"]) == 2)
            assert judge.last("error")["code"] == "not_allowed"
            party.send({"type": "caucus", "participant_ids": [p_id]})
            await wait_for(lambda: party.last("error") is not None)
            assert party.last("error")["code"] == "not_allowed"

            # Nothing changed: no caucus, everyone still admitted, media still flows.
            room = next(iter(server.rooms().rooms.values()))
            assert room.kind == "hearing" and room.caucus is None
            judge.send({"type": "ping", "t": 1})
            await wait_for(lambda: judge.last("pong") is not None)
            assert judge.state_of(p_id) == "admitted" and party.state_of(p_id) == "admitted"
            await wait_for(lambda: party.video_frames.get(judge.participant_id, 0) > 5, timeout=15)
            for client in (judge, party):
                await client.close()
            await wait_for(lambda: server.sink.names().count("participant_left") == 2)
            assert "caucus_started" not in server.sink.names()

    asyncio.run(scenario())
