"""One connected person: their peer connection, data channel, tracks and slots.

New publishers reach a subscriber through *pre-negotiated receive slots*: the
client's offer carries its own sending audio/video plus N ``recvonly``
audio/video transceiver pairs.  The server answers each pair ``sendonly`` with a
:class:`~mediation.forwarding.SlotTrack` and later attaches whichever
participant it assigns to that pair, announcing the mapping with a ``tracks``
message.  No renegotiation is needed when people come, go or caucus.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import RTCDataChannel, RTCRtpTransceiver, RTCSessionDescription

from mediation import passthrough
from mediation.forwarding import Publisher, SlotTrack
from mediation.ice import new_peer_connection
from mediation.protocol import STATE_LOBBY, RoomClaims

logger = logging.getLogger(__name__)

PREFERRED_VIDEO = "video/vp8"  # what we forward without re-encoding


@dataclass
class SlotPair:
    """One receive slot: an audio and a video transceiver the server sends on."""

    index: int
    audio: SlotTrack | None
    video: SlotTrack | None
    audio_mid: str | None
    video_mid: str | None
    publisher_id: str | None = None

    def tracks(self) -> list[SlotTrack]:
        return [t for t in (self.audio, self.video) if t is not None]


def prefer_codec(transceiver: RTCRtpTransceiver, mime: str) -> None:
    """Put ``mime`` (and its RTX) first in the negotiated list.

    aiortc keeps the remote's order in ``transceiver._codecs`` and both sides
    send with the first codec of the answer, so this makes browsers publish
    VP8, which we can forward untouched.
    """
    codecs = transceiver._codecs
    chosen = [c for c in codecs if c.mimeType.lower() == mime]
    if not chosen:
        return
    pts = {c.payloadType for c in chosen}
    rtx = [c for c in codecs if c.name.lower() == "rtx" and c.parameters.get("apt") in pts]
    rest = [c for c in codecs if c not in chosen and c not in rtx]
    transceiver._codecs = chosen + rtx + rest


class Participant:
    """Server side of one client connection in one room."""

    def __init__(self, participant_id: str, claims: RoomClaims, ice_servers: list[dict]) -> None:
        self.participant_id = participant_id
        self.claims = claims
        self.state = STATE_LOBBY
        self.consent: bool | None = None
        self.pc = new_peer_connection(ice_servers)
        self.publishers: dict[str, Publisher] = {}
        self.slots: list[SlotPair] = []
        self.channel: RTCDataChannel | None = None
        self.closed = False
        self.answer_sdp: str | None = None
        self.on_message: Callable[[Participant, dict[str, Any]], None] | None = None
        self.on_channel_open: Callable[[Participant], None] | None = None
        self.on_gone: Callable[[Participant], None] | None = None
        self._outbox: list[str] = []

        @self.pc.on("datachannel")
        def _on_datachannel(channel: RTCDataChannel) -> None:
            if channel.label != "room":
                return
            self.channel = channel
            channel.on("message", self._on_raw_message)
            for text in self._outbox:
                channel.send(text)
            self._outbox.clear()
            if self.on_channel_open:
                self.on_channel_open(self)

        @self.pc.on("connectionstatechange")
        async def _on_state() -> None:
            if self.pc.connectionState in ("failed", "closed") and not self.closed:
                await self.close()

    # -- identity -----------------------------------------------------------
    @property
    def user_id(self) -> int | str:
        return self.claims.user_id

    @property
    def is_mediator(self) -> bool:
        return self.claims.is_mediator

    def roster_entry(self) -> dict[str, Any]:
        return {
            "participant_id": self.participant_id,
            "display_name": self.claims.display_name,
            "role": self.claims.role,
            "side": self.claims.side,
            "state": self.state,
            "recording_consent": self.consent,
        }

    # -- negotiation --------------------------------------------------------
    async def answer(self, sdp: str) -> str:
        """Apply the client's offer; return our complete answer SDP."""
        if "m=application" not in sdp:
            raise ValueError("the offer must open the 'room' data channel")
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        self._setup_transceivers()
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        self._bind_slot_senders()
        return self.pc.localDescription.sdp

    def _setup_transceivers(self) -> None:
        """Split the offer into our incoming tracks and the client's receive slots."""
        known = {mid for pair in self.slots for mid in (pair.audio_mid, pair.video_mid)}
        free: dict[str, list[RTCRtpTransceiver]] = {"audio": [], "video": []}
        for transceiver in self.pc.getTransceivers():
            if transceiver.kind == "video":
                prefer_codec(transceiver, PREFERRED_VIDEO)
            if transceiver.mid in known:
                continue
            offered = transceiver._offerDirection  # the client's direction, reversed
            track = transceiver.receiver.track
            if offered in ("recvonly", "sendrecv") and track is not None:
                passthrough.mark_passthrough(track)  # before the receiver starts
                if transceiver.kind not in self.publishers:
                    publisher = Publisher(self.participant_id, track, transceiver.receiver)
                    self.publishers[transceiver.kind] = publisher
                    publisher.start()
            elif offered == "sendonly":
                free[transceiver.kind].append(transceiver)
        for audio_t, video_t in _zip_longest(free["audio"], free["video"]):
            pair = SlotPair(
                index=len(self.slots),
                audio=self._slot_on(audio_t),
                video=self._slot_on(video_t),
                audio_mid=audio_t.mid if audio_t else None,
                video_mid=video_t.mid if video_t else None,
            )
            self.slots.append(pair)

    @staticmethod
    def _slot_on(transceiver: RTCRtpTransceiver | None) -> SlotTrack | None:
        if transceiver is None:
            return None
        track = SlotTrack(transceiver.kind)
        transceiver.sender.replaceTrack(track)
        transceiver.direction = "sendonly"
        return track

    def _bind_slot_senders(self) -> None:
        for transceiver in self.pc.getTransceivers():
            track = transceiver.sender.track
            if isinstance(track, SlotTrack) and track.out_mime is None and transceiver._codecs:
                track.bind_sender(transceiver.sender, transceiver._codecs[0].mimeType)

    async def expire_unless_connected(self, seconds: float) -> None:
        """A peer that never completes ICE/DTLS is dropped, not kept forever."""
        await asyncio.sleep(seconds)
        if self.pc.connectionState != "connected" and not self.closed:
            logger.info("participant %s never connected; closing", self.participant_id)
            await self.close()

    # -- data channel -------------------------------------------------------
    def send(self, message: dict[str, Any]) -> None:
        """Send a JSON message; queued until the ``room`` channel opens."""
        if self.closed:
            return
        text = json.dumps(message, ensure_ascii=False)
        if self.channel is not None and self.channel.readyState == "open":
            self.channel.send(text)
        else:
            self._outbox.append(text)

    def _on_raw_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except (TypeError, ValueError):
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            self.send({"type": "error", "code": "bad_message", "message": "expected a JSON object with a type"})
            return
        if self.on_message:
            self.on_message(self, message)

    # -- slots --------------------------------------------------------------
    def slot_for(self, publisher_id: str, assign: bool) -> SlotPair | None:
        """The slot showing ``publisher_id``; optionally claim a free one."""
        for pair in self.slots:
            if pair.publisher_id == publisher_id:
                return pair
        if not assign:
            return None
        for pair in self.slots:
            if pair.publisher_id is None:
                pair.publisher_id = publisher_id
                return pair
        return None

    def release_slot(self, publisher_id: str) -> bool:
        pair = self.slot_for(publisher_id, assign=False)
        if pair is None:
            return False
        for track in pair.tracks():
            track.detach()
        pair.publisher_id = None
        return True

    def tracks_message(self, active: Callable[[str], bool]) -> dict[str, Any]:
        entries = []
        for pair in self.slots:
            if pair.publisher_id is None:
                continue
            for kind, mid in (("audio", pair.audio_mid), ("video", pair.video_mid)):
                if mid is not None:
                    entries.append(
                        {"mid": mid, "kind": kind, "participant_id": pair.publisher_id,
                         "active": active(pair.publisher_id)}
                    )
        return {"type": "tracks", "tracks": entries}

    # -- teardown -----------------------------------------------------------
    async def close(self) -> None:
        """Close the peer connection; safe to call twice."""
        if self.closed:
            return
        self.closed = True
        for pair in self.slots:
            for track in pair.tracks():
                track.detach()
        for publisher in self.publishers.values():
            publisher.stop()
        try:
            await asyncio.wait_for(self.pc.close(), timeout=5)
        except Exception:  # noqa: BLE001 - closing must never raise
            logger.warning("closing peer %s did not finish cleanly", self.participant_id)
        if self.on_gone:
            self.on_gone(self)


def _zip_longest(a: list, b: list) -> list[tuple]:
    n = max(len(a), len(b))
    return [(a[i] if i < len(a) else None, b[i] if i < len(b) else None) for i in range(n)]
