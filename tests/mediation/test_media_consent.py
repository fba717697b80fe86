"""Withdrawing recording consent stops the recording at once; the file keeps only consented time."""

from __future__ import annotations

import asyncio
import io
import time

import av
import pytest

from mediation import recording
from tests.mediation.helpers import Client, running_server, token, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.timeout(90)]


def _stream_ends(data: bytes) -> dict[str, float]:
    """Last decoded frame time per stream of a WebM file."""
    container = av.open(io.BytesIO(data))
    ends: dict[str, float] = {}
    for packet in container.demux():
        for frame in packet.decode():
            if frame.time is not None:
                ends[f"{packet.stream.index}:{packet.stream.type}"] = frame.time
    container.close()
    return ends


def test_withdrawn_consent_stops_recording_and_everyone_is_told(tmp_path):
    async def scenario() -> None:
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
            for client in (mediator, party):
                client.send({"type": "recording_consent", "consent": True})
            await wait_for(lambda: all(e["recording_consent"] is True
                                       for e in mediator.last("roster")["participants"]))
            mediator.send({"type": "record_start"})
            await wait_for(lambda: party.last("recording")["state"] == "recording")
            started = time.monotonic()
            await asyncio.sleep(2.5)

            party.send({"type": "recording_consent", "consent": False})
            withdrawn = time.monotonic()
            # Both are told at once, with the reason; the roster shows who said no.
            for client in (mediator, party):
                await wait_for(lambda c=client: c.last("recording")["state"] == "idle", timeout=3)
                assert client.last("recording")["reason"] == "consent_withdrawn"
            entry = next(e for e in mediator.last("roster")["participants"] if e["participant_id"] == p_id)
            assert entry["recording_consent"] is False
            room = next(iter(server.rooms().rooms.values()))
            assert room.recording.recorder is None and not room.recording.active
            # Media keeps flowing in the room, but nothing reaches a recorder any more.
            publishers = [pub for p in room.participants.values() for pub in p.publishers.values()]
            assert not any(isinstance(s, recording._Track) for pub in publishers for s in pub.sinks)
            await asyncio.sleep(1.5)

            # Restarting needs the consent back.
            mediator.send({"type": "record_start"})
            await wait_for(lambda: mediator.last("error") is not None)
            assert mediator.last("error")["code"] == "consent_missing"
            assert party.last("recording")["state"] == "idle"

            await wait_for(lambda: server.sink.recordings, timeout=15)
            await wait_for(lambda: "recording_stopped" in server.sink.names())
            stopped = next(e for e in server.sink.events if e["event"] == "recording_stopped")
            assert stopped["reason"] == "consent_withdrawn"
            assert len(server.sink.recordings) == 1
            ends = _stream_ends(server.sink.recordings[0]["data"])
            assert len(ends) == 4, ends
            consented = withdrawn - started
            # The file ends where consent ended (not 1.5 s later, when the test moved on).
            assert max(ends.values()) < consented + 1.0, (ends, consented)
            assert min(ends.values()) > consented - 1.5, (ends, consented)
            for client in (mediator, party):
                await client.close()

    asyncio.run(scenario())
