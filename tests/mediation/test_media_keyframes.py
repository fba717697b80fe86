"""Keyframe requests: a subscriber's PLI/FIR reaches the publisher; bursts are coalesced, never lost.

The server forwards encoded video, so only the publisher's encoder can make the
keyframe a subscriber asks for.  aiortc's own sender would merely flag its own
(unused) encoder; the slot track shadows that and asks the publisher instead.
"""

from __future__ import annotations

import asyncio
import struct
import time
from datetime import datetime

import pytest
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import RemoteStreamTrack, RTCRtpSynchronizationSource
from aiortc.rtp import RTCP_PSFB_FIR, RtcpPsfbPacket

from mediation.forwarding import KEYFRAME_REQUEST_INTERVAL, Publisher
from mediation.passthrough import EncodedFrame
from tests.mediation.helpers import Client, running_server, token, wait_for

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
KEY = b"\x10\x02\x00\x9d\x01\x2a\xa0\x00\x78\x00"  # VP8 key frame header, 160x120
DELTA = b"\x31\x02\x00"  # bit 0 set: an inter frame


class PliLog:
    """Stands in for aiortc's RTCRtpReceiver: the two members Publisher uses."""

    def __init__(self) -> None:
        self.sent: list[float] = []

    def getSynchronizationSources(self) -> list[RTCRtpSynchronizationSource]:  # noqa: N802 - aiortc's name
        return [RTCRtpSynchronizationSource(timestamp=datetime.now(), source=4242)]

    async def _send_rtcp_pli(self, media_ssrc: int) -> None:
        assert media_ssrc == 4242
        self.sent.append(time.monotonic())


class Seen:
    def __init__(self) -> None:
        self.frames: list[EncodedFrame] = []

    def push(self, frame: EncodedFrame) -> None:
        self.frames.append(frame)


def test_keyframe_requests_are_coalesced_deferred_never_dropped():
    async def scenario() -> None:
        track, log, sink = RemoteStreamTrack("video"), PliLog(), Seen()
        publisher = Publisher("p-1", track, log)
        publisher.sinks.add(sink)
        publisher.start()
        ts = 0

        def arrive(data: bytes) -> None:
            nonlocal ts
            ts += 3000
            track._queue.put_nowait(EncodedFrame(VP8, data, ts, time.monotonic()))

        t0 = time.monotonic()
        publisher.request_keyframe()
        await asyncio.sleep(0.01)
        assert len(log.sent) == 1  # the first request goes out at once
        # A burst inside the interval: deferred to its end as ONE request, not dropped.
        for _ in range(5):
            publisher.request_keyframe()
            await asyncio.sleep(0.02)
        arrive(DELTA)  # an inter frame does not answer a keyframe request
        assert len(log.sent) == 1
        await asyncio.sleep(KEYFRAME_REQUEST_INTERVAL + 0.1)
        assert len(log.sent) == 2
        assert log.sent[1] - log.sent[0] >= KEYFRAME_REQUEST_INTERVAL - 0.02
        assert log.sent[1] - t0 < KEYFRAME_REQUEST_INTERVAL + 0.25

        # Deferred again, but a keyframe passes first: every waiting sink got one,
        # so the deferred PLI is cancelled rather than sent.
        publisher.request_keyframe()
        arrive(KEY)
        await asyncio.sleep(KEYFRAME_REQUEST_INTERVAL + 0.1)
        assert len(log.sent) == 2
        assert sink.frames[-1].is_keyframe
        # Outside the interval a request goes straight out again.
        publisher.request_keyframe()
        await asyncio.sleep(0.01)
        assert len(log.sent) == 3 and publisher.plis_sent == 3
        publisher.stop()

    asyncio.run(scenario())


def _slot(server, subscriber: Client, publisher: Client):
    room = next(iter(server.rooms().rooms.values()))
    pair = room.participants[subscriber.participant_id].slot_for(publisher.participant_id, assign=False)
    return pair.video, room.participants[publisher.participant_id].publishers["video"]


async def _quiet(track, seconds: float = 1.0, timeout: float = 15) -> None:
    """Wait until no keyframe request has reached the publisher for ``seconds``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = track.requests
        await asyncio.sleep(seconds)
        if track.requests == before:
            return
    raise AssertionError("keyframe requests never stopped")


@pytest.mark.netns
@pytest.mark.timeout(90)
def test_subscriber_pli_and_fir_reach_the_publisher(tmp_path):
    async def scenario() -> None:
        async with running_server(tmp_path) as server:
            mediator = Client(server, token(1, role="mediator"), luma=40, browser_like=True)
            party = Client(server, token(2), luma=200, browser_like=True)
            for client in (mediator, party):
                await client.join()
            for client in (mediator, party):
                await client.wait_open()
            m_id, p_id = mediator.participant_id, party.participant_id
            await wait_for(lambda: mediator.state_of(p_id) == "lobby")
            mediator.send({"type": "admit", "participant_id": p_id})
            await wait_for(lambda: party.video_frames.get(m_id, 0) > 10, timeout=20)
            slot, publisher = _slot(server, party, mediator)
            source = mediator.video_track
            receiver = party.video_receiver(m_id)
            ssrc = receiver.getSynchronizationSources()[0].source

            # PLI, sent the way aiortc's receiver sends it on picture loss.
            await _quiet(source)
            requests, plis, keys = source.requests, publisher.plis_sent, slot.keyframes_out
            slot_requests = slot.keyframe_requests
            await receiver._send_rtcp_pli(ssrc)
            await wait_for(lambda: source.requests > requests, timeout=5)
            assert slot.keyframe_requests > slot_requests  # the server's slot got the PLI
            assert publisher.plis_sent > plis  # and asked the publisher with its own PLI
            await wait_for(lambda: slot.keyframes_out > keys, timeout=5)  # answered, to the party
            assert slot._decoder is None and slot.encoder_keyframes == 0  # forwarded, never re-encoded

            # FIR (RFC 5104): aiortc has no helper for it, so build the packet.
            await asyncio.sleep(KEYFRAME_REQUEST_INTERVAL)
            await _quiet(source)
            requests, keys = source.requests, slot.keyframes_out
            fci = struct.pack("!LBxxx", ssrc, 1)
            fir = RtcpPsfbPacket(fmt=RTCP_PSFB_FIR, ssrc=receiver._RTCRtpReceiver__rtcp_ssrc,
                                 media_ssrc=ssrc, fci=fci)
            await receiver._send_rtcp(fir)
            await wait_for(lambda: source.requests > requests, timeout=5)
            await wait_for(lambda: slot.keyframes_out > keys, timeout=5)

            # A burst of PLIs: the publisher gets at most one per interval, and the
            # subscriber still gets its keyframe (the last request is not lost).
            await asyncio.sleep(KEYFRAME_REQUEST_INTERVAL)
            await _quiet(source)
            requests, keys = source.requests, slot.keyframes_out
            started = time.monotonic()
            for _ in range(6):
                await receiver._send_rtcp_pli(ssrc)
                await asyncio.sleep(0.03)
            await wait_for(lambda: slot.keyframes_out > keys, timeout=5)
            await asyncio.sleep(KEYFRAME_REQUEST_INTERVAL + 0.3)
            elapsed = time.monotonic() - started
            assert 1 <= source.requests - requests <= 1 + int(elapsed / KEYFRAME_REQUEST_INTERVAL)
            assert abs(party.lumas[m_id] - 40) < 15
            for client in (mediator, party):
                await client.close()

    asyncio.run(scenario())
