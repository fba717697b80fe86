"""Recording needs everyone's consent, skips caucus, and decodes back."""

from __future__ import annotations

import asyncio
import hashlib
import io

import av
import pytest

from tests.mediation.helpers import Client, running_server, token, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.timeout(90)]


def test_recording_with_consent_pause_in_caucus_and_delivery(tmp_path):
    async def scenario():
        async with running_server(tmp_path) as server:
            mediator = Client(server, token(1, role="mediator"), luma=40)
            party = Client(server, token(2), luma=200)
            for client in (mediator, party):
                await client.join()
            for client in (mediator, party):
                await client.wait_open()
            p_id = party.participant_id
            await wait_for(lambda: mediator.state_of(p_id) == "lobby")
            mediator.send({"type": "admit", "participant_id": p_id})
            await wait_for(lambda: mediator.video_frames.get(p_id, 0) > 5, timeout=15)

            mediator.send({"type": "recording_consent", "consent": True})
            mediator.send({"type": "record_start"})
            await wait_for(lambda: mediator.last("error") is not None)
            assert mediator.last("error")["code"] == "consent_missing"
            assert mediator.last("recording")["state"] == "idle"
            party.send({"type": "record_start"})  # not the mediator's: refused
            await wait_for(lambda: party.last("error") is not None)
            assert party.last("error")["code"] == "forbidden"

            party.send({"type": "recording_consent", "consent": True})
            await wait_for(lambda: all(e["recording_consent"] for e in mediator.last("roster")["participants"]))
            mediator.send({"type": "record_start"})
            await wait_for(lambda: party.last("recording")["state"] == "recording")
            await asyncio.sleep(2.5)
            mediator.send({"type": "caucus", "participant_ids": [p_id]})
            await wait_for(lambda: party.last("recording")["state"] == "paused")
            await asyncio.sleep(1.5)  # not in the file
            mediator.send({"type": "caucus_end"})
            await wait_for(lambda: party.last("recording")["state"] == "recording")
            await asyncio.sleep(1.5)
            mediator.send({"type": "record_stop"})
            await wait_for(lambda: party.last("recording")["state"] == "idle")
            await wait_for(lambda: server.sink.recordings, timeout=15)
            for client in (mediator, party):
                await client.close()

            delivered = server.sink.recordings[0]
            assert server.sink.bad_signatures == 0
            assert delivered["session_id"] == "5"
            assert hashlib.sha256(delivered["data"]).hexdigest() == delivered["sha256"]
            assert delivered["started_at"] <= delivered["ended_at"]
            names = server.sink.names()
            assert names.index("recording_started") < names.index("recording_stopped")

            container = av.open(io.BytesIO(delivered["data"]))
            kinds = sorted(s.type for s in container.streams)
            assert kinds == ["audio", "audio", "video", "video"]
            assert {s.codec_context.name for s in container.streams} == {"vp8", "opus"}
            decoded = {s.index: 0 for s in container.streams}
            last_time = {s.index: 0.0 for s in container.streams}
            for packet in container.demux():
                for frame in packet.decode():
                    decoded[packet.stream.index] += 1
                    if frame.time is not None:
                        last_time[packet.stream.index] = frame.time
            container.close()
            assert all(n > 20 for n in decoded.values()), decoded
            # ~4 s recorded (2.5 + 1.5), the 1.5 s caucus left out; streams aligned.
            ends = list(last_time.values())
            assert 2.5 < min(ends) and max(ends) < 5.5, last_time
            assert max(ends) - min(ends) < 0.8, last_time

    asyncio.run(scenario())
