"""Take encoded frames out of aiortc's receiver before they are decoded.

aiortc's ``RTCRtpReceiver.receive()`` starts a thread running the module-level
function ``aiortc.rtcrtpreceiver.decoder_worker(loop, input_q, output_q,
decode_error)``: ``input_q`` carries ``(codec, JitterFrame)`` tuples, already
reassembled by the jitter buffer and timestamp-mapped, and ``output_q`` is the
remote track's queue that ``track.recv()`` reads.  The name is looked up in the
module each time a receiver starts, so replacing it lets a media server skip
decoding entirely: for tracks registered with :func:`mark_passthrough` the
replacement puts :class:`EncodedFrame` objects on the track's queue instead of
decoded ``av`` frames.  Every other receiver in the process (for example the
aiortc clients in tests) keeps the original decoder.

This relies on a private function; ``check_receiver_shape`` and
``tests/mediation/test_private_api.py`` fail loudly if aiortc changes it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import queue
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from aiortc import rtcrtpreceiver
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

logger = logging.getLogger(__name__)

_original_decoder_worker = rtcrtpreceiver.decoder_worker
_passthrough_queues: weakref.WeakSet[asyncio.Queue] = weakref.WeakSet()
_lock = threading.Lock()


@dataclass(slots=True)
class EncodedFrame:
    """One complete encoded frame as it came off the wire (VP8 frame, Opus packet)."""

    codec: RTCRtpCodecParameters
    data: bytes
    timestamp: int  # RTP clock units, starting near 0 (aiortc's TimestampMapper)
    arrival: float  # time.monotonic() when it left the jitter buffer

    @property
    def kind(self) -> str:
        return self.codec.mimeType.split("/")[0]

    @property
    def mime(self) -> str:
        return self.codec.mimeType.lower()

    @property
    def is_keyframe(self) -> bool:
        """VP8: bit 0 of the frame tag is 0 on key frames (RFC 6386 9.1).

        Audio frames and codecs we cannot inspect count as keyframes, so they
        are never held back waiting for one.
        """
        if self.mime == "video/vp8":
            return bool(self.data) and not (self.data[0] & 0x01)
        if self.mime == "video/h264":
            return _h264_has_idr(self.data)
        return True


def _h264_has_idr(data: bytes) -> bool:
    """Annex-B stream (as aiortc depayloads it): any NAL unit of type 5 (IDR)?"""
    i = data.find(b"\x00\x00\x01")
    while i != -1 and i + 3 < len(data):
        if data[i + 3] & 0x1F == 5:
            return True
        i = data.find(b"\x00\x00\x01", i + 3)
    return False


def _forward(output_q: asyncio.Queue, task: Any) -> None:
    if task is None:
        output_q.put_nowait(None)
        return
    codec, encoded_frame = task
    output_q.put_nowait(EncodedFrame(codec, encoded_frame.data, encoded_frame.timestamp, time.monotonic()))


def _go_direct(input_q: queue.Queue, output_q: asyncio.Queue) -> None:
    """Make the receiver's ``input_q.put`` hand frames straight to the track's queue.

    Why: aiortc calls ``put`` from ``_handle_rtp_packet`` on the event loop, and a
    thread in between (queue.Queue, a wake-up, the GIL, ``call_soon_threadsafe``'s
    self-pipe) cost about a third of the server's CPU per forwarded frame. Both ends
    live on the loop, so the frame can go across synchronously. Anything queued
    before the switch is passed on first, so order is kept; the ``None`` aiortc puts
    when it stops the receiver ends the track as before.
    """
    def put(item: Any, block: bool = True, timeout: float | None = None) -> None:
        _drain(input_q, output_q)
        _forward(output_q, item)

    input_q.put = put  # type: ignore[method-assign]


def _drain(input_q: queue.Queue, output_q: asyncio.Queue) -> None:
    """Pass on, in order, whatever reached the real queue before the switch."""
    while True:
        try:
            earlier = queue.Queue.get_nowait(input_q)
        except queue.Empty:
            return
        _forward(output_q, earlier)


def passthrough_worker(
    loop: asyncio.AbstractEventLoop,
    input_q: queue.Queue,
    output_q: asyncio.Queue,
    decode_error: threading.Event,
) -> None:
    """Drop-in for aiortc's ``decoder_worker``: forward encoded frames undecoded.

    For a pass-through track the thread only rewires the queue (see ``_go_direct``)
    and ends; every other receiver runs aiortc's decoder as usual.
    """
    with _lock:
        passthrough = output_q in _passthrough_queues
    if not passthrough:
        _original_decoder_worker(loop, input_q, output_q, decode_error)
        return
    _go_direct(input_q, output_q)
    try:  # frames that arrived before the switch, without waiting for the next one
        loop.call_soon_threadsafe(_drain, input_q, output_q)
    except RuntimeError:  # the loop is closed: the server is shutting down
        pass


def check_receiver_shape() -> None:
    """Raise unless aiortc still starts its decoder thread the way we intercept."""
    params = list(inspect.signature(_original_decoder_worker).parameters)
    if params != ["loop", "input_q", "output_q", "decode_error"]:
        raise RuntimeError(f"aiortc decoder_worker signature changed: {params}")
    receive_src = inspect.getsource(rtcrtpreceiver.RTCRtpReceiver.receive)
    if "target=decoder_worker" not in receive_src or "self._track._queue" not in receive_src:
        raise RuntimeError("aiortc RTCRtpReceiver.receive no longer starts decoder_worker")
    handle_src = inspect.getsource(rtcrtpreceiver.RTCRtpReceiver._handle_rtp_packet)
    if "__decoder_queue.put((codec, encoded_frame))" not in handle_src:
        raise RuntimeError("aiortc no longer queues (codec, encoded_frame) for decoding")
    stop_src = inspect.getsource(rtcrtpreceiver.RTCRtpReceiver._RTCRtpReceiver__stop_decoder)
    if "__decoder_queue.put(None)" not in stop_src:
        raise RuntimeError("aiortc no longer stops its decoder by queueing None")
    if not hasattr(rtcrtpreceiver.RTCRtpReceiver, "_send_rtcp_pli"):
        raise RuntimeError("aiortc RTCRtpReceiver._send_rtcp_pli is gone")


def install() -> None:
    """Replace aiortc's decoder worker (idempotent)."""
    check_receiver_shape()
    rtcrtpreceiver.decoder_worker = passthrough_worker


def mark_passthrough(track: Any) -> None:
    """Make ``track`` (an aiortc RemoteStreamTrack) yield EncodedFrame objects.

    Must run before the receiver starts, i.e. in the peer connection's
    ``track`` event, which aiortc fires during setRemoteDescription.
    """
    with _lock:
        _passthrough_queues.add(track._queue)
