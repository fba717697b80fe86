"""Test helpers: an in-process media server, a callback sink, aiortc clients.

Everything binds to 127.0.0.1 only; tests using it are marked ``netns`` and run
inside a loopback-only network namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import av
from aiohttp import web
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

from mediation.config import Settings
from mediation.protocol import (
    CALLBACK_SIGNATURE_HEADER,
    iso_utc,
    recording_signed_bytes,
    sign_room_token,
    verify_callback,
)
from mediation.server import ROOMS_KEY, create_app

SECRET = "test-secret-for-media"
LOOPBACK = "127.0.0.1"


def claims(user_id: int, role: str = "party", side: str | None = "applicant",
           session_id: int = 5, ends_in: float = 3600, name: str | None = None,
           kind: str = "mediation") -> dict[str, Any]:
    return {
        "kind": kind,
        "session_id": session_id,
        "case_id": 9,
        "user_id": user_id,
        "display_name": name or f"user{user_id}",
        "role": role,
        "side": None if role == "mediator" else side,
        "room_ends_at": iso_utc(time.time() + ends_in),
    }


def token(user_id: int, **kwargs: Any) -> str:
    ttl = kwargs.pop("ttl", 300)
    return sign_room_token(SECRET, claims(user_id, **kwargs), ttl_seconds=ttl)


@dataclass
class CallbackSink:
    """A stand-in for the web app's callback endpoints; checks signatures."""

    events: list[dict[str, Any]] = field(default_factory=list)
    recordings: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0

    async def on_event(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify_callback(SECRET, body, request.headers.get(CALLBACK_SIGNATURE_HEADER)):
            self.bad_signatures += 1
            return web.Response(status=403)
        self.events.append(json.loads(body))
        return web.Response(status=204)

    async def on_recording(self, request: web.Request) -> web.Response:
        form = await request.post()
        sha = form["sha256"]
        signed = recording_signed_bytes(form["session_id"], sha, form["started_at"], form["ended_at"])
        if not verify_callback(SECRET, signed, request.headers.get(CALLBACK_SIGNATURE_HEADER)):
            self.bad_signatures += 1
            return web.Response(status=403)
        upload = form["file"]
        self.recordings.append({
            "session_id": form["session_id"], "sha256": sha,
            "started_at": form["started_at"], "ended_at": form["ended_at"],
            "data": upload.file.read(),
        })
        return web.Response(status=201)

    def names(self) -> list[str]:
        return [e["event"] for e in self.events]


@dataclass
class Server:
    url: str
    app: web.Application
    sink: CallbackSink
    settings: Settings
    clients: list[Client] = field(default_factory=list)

    @property
    def offer_url(self) -> str:
        return self.url + "/rooms/offer"

    def rooms(self) -> Any:
        return self.app[ROOMS_KEY]


@contextlib.asynccontextmanager
async def running_server(tmp_path: Any, grace: float = 900, **overrides: Any) -> AsyncIterator[Server]:
    """The media server and a callback sink, both on 127.0.0.1 random ports."""
    sink = CallbackSink()
    cb_app = web.Application()
    cb_app.router.add_post("/media/events", sink.on_event)
    cb_app.router.add_post("/media/recordings", sink.on_recording)
    cb_runner = web.AppRunner(cb_app)
    await cb_runner.setup()
    cb_site = web.TCPSite(cb_runner, LOOPBACK, 0)
    await cb_site.start()
    cb_port = cb_runner.addresses[0][1]
    settings = Settings(
        secret=SECRET, host_addresses=[LOOPBACK], recordings_dir=str(tmp_path / "rec"),
        callback_base=f"http://{LOOPBACK}:{cb_port}",
        allowed_origins=overrides.pop("allowed_origins", ["http://app.test"]),
        grace_seconds=grace, callback_backoff=0.05, **overrides,
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, 0)
    await site.start()
    port = runner.addresses[0][1]
    server = Server(f"http://{LOOPBACK}:{port}", app, sink, settings)
    try:
        yield server
    finally:
        # Unclosed aiortc peers keep non-daemon decoder threads alive and the
        # test process would never exit: close every client, even on failure.
        for client in server.clients:
            await client.close()
        await runner.cleanup()
        await cb_runner.cleanup()


class ToneVideo(VideoStreamTrack):
    """A flat grey picture whose brightness identifies the sender."""

    def __init__(self, luma: int) -> None:
        super().__init__()
        self.luma = luma

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(160, 120, "yuv420p")
        frame.planes[0].update(bytes([self.luma]) * frame.planes[0].buffer_size)
        for plane in frame.planes[1:]:
            plane.update(bytes([128]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        return frame


class KeyframeOnRequestVideo(MediaStreamTrack):
    """A grey tone encoded here, like a browser: a keyframe first and then only on PLI/FIR.

    aiortc's own VP8 sender also restarts its encoder (a fresh keyframe) whenever
    a REMB changes the bitrate by 10 %, which hides a server that forgets to ask
    for keyframes; Chromium does not.  This track hands aiortc's sender finished
    ``av.Packet`` objects (sent as they are) and forces a keyframe only when the
    sender reports a PLI/FIR through :meth:`request_keyframe`.
    """

    kind = "video"

    def __init__(self, luma: int) -> None:
        super().__init__()
        self.tone = ToneVideo(luma)
        self.keyframes = 0
        self.requests = 0  # PLI/FIR that reached this publisher's sender
        self._force = True
        self._codec = av.CodecContext.create("libvpx", "w")
        self._codec.width, self._codec.height, self._codec.pix_fmt = 160, 120, "yuv420p"
        self._codec.bit_rate = 300_000
        self._codec.gop_size = 100_000  # no periodic keyframes
        self._codec.options = {"deadline": "realtime", "lag-in-frames": "0", "cpu-used": "8"}

    def request_keyframe(self) -> None:
        self.requests += 1
        self._force = True

    async def recv(self) -> av.Packet:
        data = b""
        while not data:  # the encoder may drop a frame (rate control); never send it empty
            frame = await self.tone.recv()
            if self._force:
                frame.pict_type = av.video.frame.PictureType.I
            data = b"".join(bytes(p) for p in self._codec.encode(frame))
            if self._force and data:
                self._force = False
                self.keyframes += 1
        packet = av.Packet(data)
        packet.pts, packet.time_base = frame.pts, frame.time_base
        return packet


def mean_luma(frame: av.VideoFrame) -> int:
    plane = frame.planes[0]
    data, stride = bytes(plane), plane.line_size  # rows may be padded past the width
    sample = [data[y * stride + x] for y in range(0, plane.height, 8) for x in range(0, plane.width, 8)]
    return round(sum(sample) / len(sample))


class Client:
    """An aiortc participant: sends a grey tone, counts what it receives per sender."""

    def __init__(self, server: Server, room_token: str, luma: int = 60, slots: int = 3,
                 browser_like: bool = False, receive_video: str | None = None) -> None:
        """``receive_video``: the only video codec (mime) the receive slots accept."""
        self.server = server
        self.token = room_token
        self.luma = luma
        # max-bundle: see mediation/ice.py for the aiortc bug it avoids.
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.messages: list[dict[str, Any]] = []
        self.participant_id: str | None = None
        self.mid_owner: dict[str, str] = {}
        self.video_frames: dict[str, int] = defaultdict(int)  # by sender participant id
        self.audio_frames: dict[str, int] = defaultdict(int)
        # Decoded key frames by sender: H.264 only (libvpx does not flag VP8 key frames).
        self.key_frames: dict[str, int] = defaultdict(int)
        self.lumas: dict[str, int] = {}
        self.video_track: KeyframeOnRequestVideo | None = None
        self._tasks: list[asyncio.Task] = []
        server.clients.append(self)
        self.pc.addTrack(AudioStreamTrack())
        if browser_like:
            video = self.video_track = KeyframeOnRequestVideo(luma)
            sender = self.pc.addTrack(video)
            # aiortc's sender turns a PLI/FIR into self._send_keyframe(); see mediation/forwarding.py.
            sender._send_keyframe = video.request_keyframe  # type: ignore[method-assign]
        else:
            self.pc.addTrack(ToneVideo(luma))
        only = [c for c in RTCRtpReceiver.getCapabilities("video").codecs
                if receive_video and c.mimeType.lower() == receive_video.lower()]
        for _ in range(slots):
            self.pc.addTransceiver("audio", direction="recvonly")
            slot = self.pc.addTransceiver("video", direction="recvonly")
            if only:
                slot.setCodecPreferences(only)
        self.channel = self.pc.createDataChannel("room")
        self.channel.on("message", self._on_message)
        self.pc.on("track", self._on_track)

    def _on_message(self, raw: str) -> None:
        message = json.loads(raw)
        self.messages.append(message)
        if message["type"] == "tracks":
            self.mid_owner = {t["mid"]: t["participant_id"] for t in message["tracks"]}

    def _on_track(self, track: MediaStreamTrack) -> None:
        transceiver = next(t for t in self.pc.getTransceivers() if t.receiver.track is track)
        self._tasks.append(asyncio.ensure_future(self._consume(transceiver.mid, track)))

    async def _consume(self, mid: str, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                owner = self.mid_owner.get(mid, "?")
                if track.kind == "video":
                    self.video_frames[owner] += 1
                    self.key_frames[owner] += bool(frame.key_frame)
                    self.lumas[owner] = mean_luma(frame)
                else:
                    self.audio_frames[owner] += 1

    async def join(self, expect_status: int = 200) -> dict[str, Any]:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        body = {"token": self.token, "type": "offer", "sdp": self.pc.localDescription.sdp}
        async with aiohttp.ClientSession() as http, http.post(self.server.offer_url, json=body) as resp:
            assert resp.status == expect_status, await resp.text()
            reply = await resp.json()
        if resp.status == 200:
            self.participant_id = reply["participant_id"]
            await self.pc.setRemoteDescription(RTCSessionDescription(reply["sdp"], "answer"))
        return reply

    async def wait_open(self, timeout: float = 10) -> None:
        await wait_for(lambda: self.channel.readyState == "open", timeout)

    def send(self, message: dict[str, Any]) -> None:
        self.channel.send(json.dumps(message))

    def last(self, kind: str) -> dict[str, Any] | None:
        for message in reversed(self.messages):
            if message["type"] == kind:
                return message
        return None

    def state_of(self, pid: str) -> str | None:
        roster = self.last("roster")
        for entry in roster["participants"] if roster else []:
            if entry["participant_id"] == pid:
                return entry["state"]
        return None

    def video_receiver(self, sender: str) -> Any:
        """The aiortc RTCRtpReceiver of the slot showing ``sender``'s video."""
        mid = next(m for m, owner in self.mid_owner.items() if owner == sender
                   and self._kind_of(m) == "video")
        return next(t.receiver for t in self.pc.getTransceivers() if t.mid == mid)

    def _kind_of(self, mid: str) -> str:
        return next(t.kind for t in self.pc.getTransceivers() if t.mid == mid)

    def snapshot(self) -> tuple[dict[str, int], dict[str, int]]:
        return dict(self.video_frames), dict(self.audio_frames)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()


async def wait_for(predicate: Any, timeout: float = 10, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


async def received_since(client: Client, sender: str, seconds: float) -> tuple[int, int]:
    """(video, audio) frames ``client`` got from ``sender`` during ``seconds``."""
    v0, a0 = client.video_frames.get(sender, 0), client.audio_frames.get(sender, 0)
    await asyncio.sleep(seconds)
    return client.video_frames.get(sender, 0) - v0, client.audio_frames.get(sender, 0) - a0


TIME_BASE_90K = fractions.Fraction(1, 90000)
