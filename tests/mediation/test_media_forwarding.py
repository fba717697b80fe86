"""Media really flows through the server, undecoded, and only where allowed."""

from __future__ import annotations

import asyncio

import pytest

from tests.mediation.helpers import Client, received_since, running_server, token, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.timeout(90)]


async def _mediator_and_party(server):
    mediator = Client(server, token(1, role="mediator"), luma=40)
    party = Client(server, token(2, role="party", side="applicant"), luma=200)
    await mediator.join()
    await party.join()
    await mediator.wait_open()
    await party.wait_open()
    return mediator, party


def test_frames_arrive_through_server_without_decoding(tmp_path):
    async def scenario():
        async with running_server(tmp_path) as server:
            mediator, party = await _mediator_and_party(server)
            m_id, p_id = mediator.participant_id, party.participant_id
            await wait_for(lambda: mediator.state_of(p_id) == "lobby")
            mediator.send({"type": "admit", "participant_id": p_id})
            await wait_for(lambda: party.video_frames.get(m_id, 0) > 10
                           and mediator.video_frames.get(p_id, 0) > 10, timeout=15)
            v, a = await received_since(party, m_id, 2.0)
            assert v >= 20 and a >= 50, (v, a)  # ~30 fps video, 50 audio frames/s
            v, a = await received_since(mediator, p_id, 2.0)
            assert v >= 20 and a >= 50, (v, a)
            # The picture is the other participant's, not our own.
            assert abs(party.lumas[m_id] - 40) < 15  # the mediator sends a dark picture
            assert abs(mediator.lumas[p_id] - 200) < 15  # the party a bright one
            # The server forwarded encoded frames: its publishers never decoded.
            room = next(iter(server.rooms().rooms.values()))
            for participant in room.participants.values():
                assert set(participant.publishers) == {"audio", "video"}
                assert participant.publishers["video"].frames_in > 20
            slots = [s for p in room.participants.values() for pair in p.slots
                     for s in pair.tracks() if s.source is not None]
            assert slots and all(s.out_mime in ("video/vp8", "audio/opus") for s in slots)
            assert all(s._decoder is None for s in slots)  # no fallback transcoding
            await mediator.close()
            await party.close()

    asyncio.run(scenario())


def test_lobby_blocks_media_until_admitted(tmp_path):
    async def scenario():
        async with running_server(tmp_path) as server:
            mediator, party = await _mediator_and_party(server)
            m_id, p_id = mediator.participant_id, party.participant_id
            await wait_for(lambda: party.last("welcome") is not None)
            assert party.last("welcome")["state"] == "lobby"
            await asyncio.sleep(2.0)
            assert party.video_frames.get(m_id, 0) == 0
            assert party.audio_frames.get(m_id, 0) == 0
            assert mediator.video_frames.get(p_id, 0) == 0
            # A party cannot admit itself: refused, nothing changes.
            party.send({"type": "admit", "participant_id": p_id})
            await wait_for(lambda: party.last("error") is not None)
            assert party.last("error")["code"] == "forbidden"
            assert mediator.state_of(p_id) == "lobby"
            mediator.send({"type": "admit", "participant_id": p_id})
            await wait_for(lambda: party.video_frames.get(m_id, 0) > 5
                           and mediator.video_frames.get(p_id, 0) > 5, timeout=15)
            assert mediator.state_of(p_id) == "admitted"
            # Back to the lobby: the flow stops again.
            mediator.send({"type": "to_lobby", "participant_id": p_id})
            await wait_for(lambda: mediator.state_of(p_id) == "lobby")
            await asyncio.sleep(0.5)
            v, a = await received_since(party, m_id, 1.5)
            assert (v, a) == (0, 0)
            await wait_for(lambda: any(e["event"] == "admitted" for e in server.sink.events))
            await mediator.close()
            await party.close()
            await wait_for(lambda: server.sink.names().count("participant_left") == 2)
            assert server.sink.bad_signatures == 0
            assert server.sink.names()[:2] == ["participant_joined", "participant_joined"]

    asyncio.run(scenario())
