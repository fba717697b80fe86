"""Record forwarded media into WebM without re-encoding.

The recorder is just another sink of each publisher: the same encoded VP8 and
Opus frames that go to subscribers are muxed with PyAV into one WebM file,
one audio and one video track per participant.  Tracks are aligned by arrival
time on a shared recording clock, which stops while the recording is paused
(caucus parts are never recorded), so the file has no gap for them.

Matroska needs every track's picture size before writing its header, so frames
are buffered until each video track has produced a keyframe (or a short
timeout passes) and only then is the file opened.
"""

from __future__ import annotations

import fractions
import hashlib
import logging
import os
import re
import struct
import time
from dataclasses import dataclass, field

import av

from mediation.forwarding import Publisher
from mediation.passthrough import EncodedFrame
from mediation.protocol import iso_utc

logger = logging.getLogger(__name__)

HEADER_WAIT_SECONDS = 3.0
MAX_BUFFERED_FRAMES = 2000
OPUS_HEAD = b"OpusHead" + struct.pack("<BBHIhB", 1, 2, 312, 48000, 0, 0)


def vp8_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 key frame header (RFC 6386 9.1)."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width, height = struct.unpack("<HH", data[6:10])
    return width & 0x3FFF, height & 0x3FFF


@dataclass(eq=False)  # identity-hashed: it sits in a publisher's sink set
class _Track:
    """One recorded publisher and its timing state."""

    recorder: Recorder
    publisher: Publisher
    title: str
    stream: av.stream.Stream | None = None
    size: tuple[int, int] | None = None
    anchor: int | None = None  # output pts of the first frame since (re)start
    base_ts: int = 0
    last_pts: int = -1
    need_keyframe: bool = True
    packets: int = 0
    buffered: list[tuple[EncodedFrame, int]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.publisher.kind

    def push(self, frame: EncodedFrame) -> None:
        self.recorder.on_frame(self, frame)


class Recorder:
    """One WebM file of a room's media; started and stopped by the room."""

    def __init__(self, directory: str, session_id: int | str) -> None:
        os.makedirs(directory, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", str(session_id))[:64]
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        self.path = os.path.join(directory, f"session-{safe}-{stamp}-{os.getpid()}.webm")
        self.session_id = session_id
        self.started_at = iso_utc()
        self.ended_at: str | None = None
        self.tracks: list[_Track] = []
        self.paused = False
        self._t0 = time.monotonic()
        self._paused_total = 0.0
        self._paused_since = 0.0
        self._container: av.container.OutputContainer | None = None
        self._closed = False

    # -- wiring ---------------------------------------------------------------
    def add(self, publisher: Publisher, title: str) -> None:
        """Record ``publisher`` (only before the file is opened)."""
        if self._container is not None:
            raise RuntimeError("tracks are fixed once the file is open")
        track = _Track(self, publisher, title, need_keyframe=publisher.kind == "video")
        self.tracks.append(track)
        publisher.sinks.add(track)
        publisher.request_keyframe()

    def pause(self) -> None:
        if not self.paused:
            self.paused = True
            self._paused_since = time.monotonic()

    def resume(self) -> None:
        if self.paused:
            self._paused_total += time.monotonic() - self._paused_since
            self.paused = False
            for track in self.tracks:
                track.anchor = None
                track.need_keyframe = track.kind == "video"
                track.publisher.request_keyframe()

    def _clock(self, at: float) -> float:
        """Seconds of recorded time at monotonic instant ``at``."""
        return max(0.0, at - self._t0 - self._paused_total)

    # -- data path ------------------------------------------------------------
    def on_frame(self, track: _Track, frame: EncodedFrame) -> None:
        if self._closed or self.paused:
            return
        if track.need_keyframe:
            if not frame.is_keyframe:
                track.publisher.request_keyframe()  # coalesced; a lost PLI must not stall the file
                return
            track.need_keyframe = False
        if track.size is None and track.kind == "video":
            track.size = vp8_size(frame.data) if frame.mime == "video/vp8" else (640, 480)
        clock = frame.codec.clockRate or 90000
        if track.anchor is None:
            track.anchor = int(self._clock(frame.arrival) * clock)
            track.base_ts = frame.timestamp
        pts = track.anchor + (frame.timestamp - track.base_ts)
        if pts <= track.last_pts:
            pts = track.last_pts + 1
        track.last_pts = pts
        if self._container is None:
            track.buffered.append((frame, pts))
            self._maybe_open()
        else:
            self._mux(track, frame, pts)

    def _maybe_open(self) -> None:
        waited = time.monotonic() - self._t0 - self._paused_total
        total = sum(len(t.buffered) for t in self.tracks)
        sizes_known = all(t.size is not None for t in self.tracks if t.kind == "video")
        if not (sizes_known or waited > HEADER_WAIT_SECONDS or total > MAX_BUFFERED_FRAMES):
            return
        self._open_and_flush()

    def _open_and_flush(self) -> None:
        self._open()
        pending = [(pts / (f.codec.clockRate or 90000), t, f, pts) for t in self.tracks
                   for f, pts in t.buffered]
        for _, track, frame, pts in sorted(pending, key=lambda x: x[0]):
            self._mux(track, frame, pts)
        for track in self.tracks:
            track.buffered.clear()

    def _open(self) -> None:
        container = av.open(self.path, "w", format="webm")
        for track in self.tracks:
            if track.kind == "video":
                stream = container.add_stream("libvpx", rate=30)
                width, height = track.size or (640, 480)
                stream.codec_context.width = width
                stream.codec_context.height = height
                stream.time_base = fractions.Fraction(1, 90000)
            else:
                stream = container.add_stream("libopus", rate=48000)
                stream.codec_context.extradata = OPUS_HEAD
                stream.time_base = fractions.Fraction(1, 48000)
            stream.metadata["title"] = track.title
            track.stream = stream
        self._container = container

    def _mux(self, track: _Track, frame: EncodedFrame, pts: int) -> None:
        if track.stream is None or self._container is None:
            return
        packet = av.Packet(frame.data)
        packet.pts = packet.dts = pts
        packet.time_base = fractions.Fraction(1, frame.codec.clockRate or 90000)
        packet.stream = track.stream
        if frame.is_keyframe and track.kind == "video":
            packet.is_keyframe = True
        try:
            self._container.mux(packet)
            track.packets += 1
        except av.FFmpegError as exc:  # never let one bad packet stop the room
            logger.warning("recording %s: dropped a %s packet: %s", self.path, track.kind, exc)

    # -- finish -----------------------------------------------------------------
    def stop(self) -> bool:
        """Close the file; False when nothing was recorded (no file then)."""
        if self._closed:
            return False
        self._closed = True
        self.ended_at = iso_utc()
        for track in self.tracks:
            track.publisher.sinks.discard(track)
        if self._container is None and any(t.buffered for t in self.tracks):
            self._open_and_flush()
        if self._container is None:
            return False
        self._container.close()
        return True


def sha256_file(path: str) -> str:
    """Hex digest of a file, read in chunks (run it in an executor)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
