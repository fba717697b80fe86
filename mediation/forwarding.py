"""Selective forwarding of encoded media: publishers fan out to slot tracks.

A :class:`Publisher` reads one incoming track (audio or video of one
participant) as :class:`~mediation.passthrough.EncodedFrame` objects and hands
each frame to its sinks.  A :class:`SlotTrack` is a sink that is also the
MediaStreamTrack behind one of a subscriber's pre-negotiated receive slots; its
``recv()`` returns ``av.Packet`` objects, which aiortc's RTCRtpSender
packetizes without encoding.  Only when the subscriber negotiated a different
codec than the publisher sends does the slot decode, and the sender re-encode.

Who may hear whom (lobby, caucus) is decided by the room, which attaches or
detaches slots; a detached slot simply receives nothing, so switching needs no
renegotiation.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import inspect
import logging
import time
from collections.abc import Callable
from typing import Protocol

import av
from aiortc.codecs import get_decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpsender import RTCRtpSender

from mediation.passthrough import EncodedFrame

logger = logging.getLogger(__name__)

KEYFRAME_REQUEST_INTERVAL = 0.5  # at most one PLI per publisher per this many seconds
SLOT_QUEUE_FRAMES = {"audio": 50, "video": 30}
FRAME_STEP = {"audio": 960, "video": 3000}  # a nominal frame in RTP clock units


class Sink(Protocol):
    def push(self, frame: EncodedFrame) -> None: ...


class Publisher:
    """One participant's incoming audio or video, fanned out undecoded."""

    def __init__(self, participant_id: str, track: MediaStreamTrack, receiver: object) -> None:
        self.participant_id = participant_id
        self.kind: str = track.kind
        self.track = track
        self.receiver = receiver
        self.sinks: set[Sink] = set()
        self.frames_in = 0
        self.plis_sent = 0
        self._last_pli = 0.0
        self._pli_timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        """Read frames as fast as they come and hand them to every sink."""
        try:
            while True:
                frame = await self.track.recv()
                if not isinstance(frame, EncodedFrame):  # passthrough not installed
                    continue
                self.frames_in += 1
                if self._pli_timer is not None and frame.is_keyframe:
                    # This keyframe reaches every sink that asked since the last
                    # PLI, so the deferred one is no longer needed.
                    self._pli_timer.cancel()
                    self._pli_timer = None
                for sink in list(self.sinks):
                    try:
                        sink.push(frame)
                    except Exception:  # one bad sink must not stop the others
                        logger.exception("sink failed on %s frame", self.kind)
        except (MediaStreamError, asyncio.CancelledError):
            pass
        finally:
            self.sinks.clear()

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe (PLI); coalesced, but never lost.

        Requests come in bursts: one admit attaches slots in every direction
        within milliseconds, and each new video sink (slot, recording) waits
        for a keyframe.  Browsers send keyframes only when asked, so a request
        that was simply dropped by a rate limit left the person admitted last
        with black tiles for good.  Here one PLI per
        ``KEYFRAME_REQUEST_INTERVAL`` is sent at most; a request inside the
        interval is deferred to its end, and cancelled if a keyframe passes
        through first (every sink sees it).
        """
        if self.kind != "video" or self._pli_timer is not None:
            return
        wait = self._last_pli + KEYFRAME_REQUEST_INTERVAL - time.monotonic()
        if wait > 0:
            self._pli_timer = asyncio.get_running_loop().call_later(wait, self._deferred_pli)
        else:
            self._send_pli()

    def _deferred_pli(self) -> None:
        self._pli_timer = None
        self._send_pli()

    def _send_pli(self) -> None:
        sources = self.receiver.getSynchronizationSources()
        if not sources:
            # Nothing received yet: the stream will start with a keyframe, and
            # the waiting sinks ask again with each frame until they get one.
            return
        self._last_pli = time.monotonic()
        self.plis_sent += 1
        for source in sources:
            asyncio.ensure_future(self.receiver._send_rtcp_pli(source.source))

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._pli_timer is not None:
            self._pli_timer.cancel()
            self._pli_timer = None
        self.sinks.clear()


class SlotTrack(MediaStreamTrack):
    """The sending side of one receive slot of one subscriber.

    Keeps its own monotonically increasing timestamps, so switching the source
    (or resuming after a caucus) looks to the browser like a pause, not a jump.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.source: Publisher | None = None
        self.out_mime: str | None = None  # set once the subscriber's codec is negotiated
        self.frames_out = 0
        self._queue: asyncio.Queue[EncodedFrame] = asyncio.Queue(SLOT_QUEUE_FRAMES[kind])
        self._pending: collections.deque = collections.deque()
        self._need_keyframe = kind == "video"
        self._resync = True
        self._offset = 0
        self._last_out = 0
        self._last_out_wall = time.monotonic()
        self._decoder: object | None = None
        self._decoder_mime: str | None = None
        self.transcoding = False  # the last frame had to be decoded for this subscriber
        self.keyframe_requests = 0  # PLI/FIR received from the subscriber
        self.keyframes_out = 0  # forwarded video keyframes (each answers some request)
        self.encoder_keyframes = 0  # requests handed to our sender's own encoder (fallback)
        self._encoder_keyframe: Callable[[], None] | None = None  # the sender's own

    # -- wiring (called by the room) --------------------------------------
    def attach(self, publisher: Publisher) -> bool:
        """Start forwarding ``publisher``; True if it was not forwarded already.

        A newly attached video slot forwards nothing until a keyframe arrives;
        the room asks the publisher for one explicitly (``Room._route``), and
        :meth:`push` keeps asking while it waits.
        """
        if self.source is publisher:
            return False
        self.detach()
        self.source = publisher
        self._resync = True
        self._need_keyframe = self.kind == "video"
        if self._encoder_keyframe is not None:
            # Only read when the sender encodes (fallback): re-encoded video
            # restarts with a keyframe too.  Pass-through ignores the flag.
            self._encoder_keyframe()
        publisher.sinks.add(self)
        return True

    def detach(self) -> None:
        if self.source is not None:
            self.source.sinks.discard(self)
            self.source = None
        while not self._queue.empty():
            self._queue.get_nowait()
        self._pending.clear()

    def request_keyframe(self) -> None:
        """This slot has to (re)start from a keyframe of its source: ask the publisher."""
        if self.source is not None:
            self.source.request_keyframe()

    def subscriber_keyframe_request(self) -> None:
        """The subscriber sent PLI/FIR: whoever encodes its picture makes a keyframe.

        Forwarded frames come from the publisher's encoder, so the request goes
        to the publisher (coalesced there).  A transcoding slot's picture comes
        from our sender's own encoder, so that one is asked instead: the
        publisher's next keyframe would not help a decoder downstream of it.
        """
        self.keyframe_requests += 1
        if self.transcoding and self._encoder_keyframe is not None:
            self.encoder_keyframes += 1
            self._encoder_keyframe()
        else:
            self.request_keyframe()

    def bind_sender(self, sender: RTCRtpSender, out_mime: str) -> None:
        """Route the subscriber's PLI/FIR to us and remember its codec.

        aiortc's sender handles PLI/FIR by calling ``self._send_keyframe()``,
        which only affects its own encoder; an instance attribute shadows it.
        The original is kept for the transcoding fallback, where that encoder
        is the one that has to make the keyframe.
        """
        self.out_mime = out_mime.lower()
        self._encoder_keyframe = sender._send_keyframe
        sender._send_keyframe = self.subscriber_keyframe_request  # type: ignore[method-assign]

    # -- data path ----------------------------------------------------------
    def push(self, frame: EncodedFrame) -> None:
        if self._need_keyframe:
            if not frame.is_keyframe:
                # Keep asking (the publisher coalesces): a PLI or the keyframe
                # itself may be lost, and nothing else would ever ask again.
                self.request_keyframe()
                return
            self._need_keyframe = False
        if self._queue.full():
            # The subscriber's sender fell behind: drop the backlog and, for
            # video, restart cleanly from the next keyframe.
            while not self._queue.empty():
                self._queue.get_nowait()
            if self.kind == "video":
                self._need_keyframe = True
                self.request_keyframe()
                return
        self._queue.put_nowait(frame)

    def _out_timestamp(self, frame: EncodedFrame) -> int:
        clock = frame.codec.clockRate or 90000
        if self._resync:
            gap = int((time.monotonic() - self._last_out_wall) * clock)
            start = self._last_out + max(FRAME_STEP[self.kind], gap)
            self._offset = start - frame.timestamp
            self._resync = False
        out = frame.timestamp + self._offset
        if out <= self._last_out and self.frames_out:
            out = self._last_out + 1
        self._last_out = out
        self._last_out_wall = time.monotonic()
        return out

    async def recv(self) -> av.Packet | av.frame.Frame:
        if self.readyState != "live":
            raise MediaStreamError
        while not self._pending:
            frame = await self._queue.get()
            self.transcoding = self.out_mime is not None and frame.mime != self.out_mime
            if not self.transcoding:
                packet = av.Packet(frame.data)
                packet.pts = self._out_timestamp(frame)
                packet.time_base = fractions.Fraction(1, frame.codec.clockRate or 90000)
                self.frames_out += 1
                if self.kind == "video" and frame.is_keyframe:
                    self.keyframes_out += 1
                return packet
            await self._transcode(frame)
        self.frames_out += 1
        return self._pending.popleft()

    async def _transcode(self, frame: EncodedFrame) -> None:
        """Fallback: decode the publisher's codec; the sender re-encodes."""
        if self._decoder is None or self._decoder_mime != frame.mime:
            self._decoder = get_decoder(frame.codec)
            self._decoder_mime = frame.mime
        ts = self._out_timestamp(frame)
        decoder = self._decoder
        loop = asyncio.get_running_loop()
        try:
            decoded = await loop.run_in_executor(
                None, decoder.decode, JitterFrame(frame.data, frame.timestamp)  # type: ignore[attr-defined]
            )
        except av.FFmpegError:
            self._need_keyframe = self.kind == "video"
            return
        for out in decoded:
            out.pts = ts
            out.time_base = fractions.Fraction(1, frame.codec.clockRate or 90000)
            self._pending.append(out)

    def stop(self) -> None:
        self.detach()
        super().stop()


def check_sender_shape() -> None:
    """Raise unless aiortc's sender still packs av.Packet and calls _send_keyframe."""
    src = inspect.getsource(RTCRtpSender._next_encoded_frame)
    if "self.__encoder.pack(data)" not in src or "isinstance(data, Frame)" not in src:
        raise RuntimeError("aiortc RTCRtpSender no longer sends pre-encoded av.Packet")
    rtcp_src = inspect.getsource(RTCRtpSender._handle_rtcp_packet)
    if "self._send_keyframe()" not in rtcp_src:
        raise RuntimeError("aiortc RTCRtpSender no longer routes PLI/FIR to _send_keyframe")

