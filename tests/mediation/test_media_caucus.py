"""A caucus cuts the others off in both directions, and ending it restores them."""

from __future__ import annotations

import asyncio

import pytest

from tests.mediation.helpers import Client, received_since, running_server, token, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.timeout(120)]


async def _flows(a: Client, b: Client, seconds: float = 1.5) -> dict[str, tuple[int, int]]:
    """Frames each side got from the other over the same window."""
    ab, ba = await asyncio.gather(
        received_since(b, a.participant_id, seconds), received_since(a, b.participant_id, seconds)
    )
    return {"a->b": ab, "b->a": ba}


def _flowing(counts: tuple[int, int]) -> bool:
    video, audio = counts
    return video >= 10 and audio >= 30


def test_caucus_isolates_both_directions_and_restores(tmp_path):
    async def scenario():
        async with running_server(tmp_path) as server:
            mediator = Client(server, token(1, role="mediator"), luma=40)
            applicant = Client(server, token(2, side="applicant"), luma=120)
            respondent = Client(server, token(3, side="respondent"), luma=200)
            everyone = (mediator, applicant, respondent)
            for client in everyone:
                await client.join()
            for client in everyone:
                await client.wait_open()
            a_id, r_id = applicant.participant_id, respondent.participant_id
            await wait_for(lambda: mediator.state_of(r_id) == "lobby")
            for pid in (a_id, r_id):
                mediator.send({"type": "admit", "participant_id": pid})
            await wait_for(lambda: all(
                c.video_frames.get(o.participant_id, 0) > 5
                for c in everyone for o in everyone if o is not c), timeout=20)

            # A party may not start a caucus: refused and nothing changes.
            applicant.send({"type": "caucus", "participant_ids": [a_id]})
            await wait_for(lambda: applicant.last("error") is not None)
            assert applicant.last("error")["code"] == "forbidden"
            assert mediator.state_of(a_id) == "admitted"

            mediator.send({"type": "caucus", "participant_ids": [a_id]})
            await wait_for(lambda: respondent.state_of(r_id) == "waiting")
            assert respondent.state_of(a_id) == "caucus"
            await asyncio.sleep(0.5)  # frames already in flight drain
            inside, m_r, a_r = await asyncio.gather(
                _flows(mediator, applicant), _flows(mediator, respondent), _flows(applicant, respondent)
            )
            assert _flowing(inside["a->b"]) and _flowing(inside["b->a"]), inside
            for cut in (m_r, a_r):
                assert cut == {"a->b": (0, 0), "b->a": (0, 0)}, cut
            tracks = respondent.last("tracks")["tracks"]
            assert tracks and not any(t["active"] for t in tracks)

            mediator.send({"type": "caucus_end"})
            await wait_for(lambda: respondent.state_of(r_id) == "admitted")
            await asyncio.sleep(1.0)  # keyframe request, first frames
            m_r, a_r = await asyncio.gather(_flows(mediator, respondent), _flows(applicant, respondent))
            for restored in (m_r, a_r):
                assert _flowing(restored["a->b"]) and _flowing(restored["b->a"]), restored
            assert abs(respondent.lumas[a_id] - 120) < 15  # the right picture in the right slot
            assert abs(applicant.lumas[r_id] - 200) < 15

            # Ending a caucus that is not running is refused.
            mediator.send({"type": "caucus_end"})
            await wait_for(lambda: mediator.last("error") is not None)
            assert mediator.last("error")["code"] == "invalid_state"
            for client in everyone:
                await client.close()
            await wait_for(lambda: "caucus_ended" in server.sink.names())
            started = next(e for e in server.sink.events if e["event"] == "caucus_started")
            assert started["participant_ids"] == [a_id] and started["user_ids"] == [2]

    asyncio.run(scenario())
