"""Media server benchmark: pass-through forwarding vs MediaRelay re-encoding.

Run on demand (not part of the test suite), inside a loopback-only namespace:

    unshare -n sh -c 'ip link set lo up && exec .venv/bin/python benchmarks/media_bench.py'

Clients send pre-encoded VP8/Opus read from a file and never decode what they
receive (they use the same pass-through hook as the server), so the CPU the
server process burns is the thing being compared.  The server runs in its own
process and is measured with psutil.

1. One publisher to 2 and 4 subscribers: server CPU-seconds per second and RTP
   packets delivered, for ``python -m mediation`` and for
   benchmarks/media_relay_server.py (decode once, re-encode per subscriber).
2. Concurrent three-party rooms (everyone sends and receives) on the real
   server, adding rooms until some subscriber gets fewer than 14 of 15 fps.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import av
import psutil
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mediation import passthrough  # noqa: E402
from mediation.ice import install_host_addresses  # noqa: E402
from mediation.protocol import iso_utc, sign_room_token  # noqa: E402
from mediation.sockets import install_receive_buffers  # noqa: E402

SECRET = "bench-secret"
FPS = 15
UDP_BUFFER = 4 * 1024 * 1024  # set from --udp-buffer
OUT = ROOT / "benchmarks" / "out"


def make_media(path: Path, seconds: int = 10, width: int = 640, height: int = 480) -> None:
    """Encode a moving test pattern once: VP8 15 fps (keyframe every second) + Opus."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    out = av.open(str(path), "w", format="webm")
    video = out.add_stream("libvpx", rate=FPS)
    video.width, video.height, video.pix_fmt = width, height, "yuv420p"
    video.bit_rate = 500_000
    video.codec_context.gop_size = FPS
    audio = out.add_stream("libopus", rate=48000)
    audio.layout = "stereo"
    ramp = bytes(range(256)) * 12
    for i in range(seconds * FPS):
        frame = av.VideoFrame(width, height, "yuv420p")
        y = b"".join(ramp[(r + 3 * i) % 256:(r + 3 * i) % 256 + width] for r in range(height))
        frame.planes[0].update(y)
        for plane in frame.planes[1:]:
            plane.update(bytes([(128 + i) % 256]) * plane.buffer_size)
        frame.pts = i
        frame.time_base = fractions.Fraction(1, FPS)
        out.mux(video.encode(frame))
    for i in range(seconds * 50):
        frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
        frame.planes[0].update(bytes(960 * 4))
        frame.sample_rate, frame.pts = 48000, i * 960
        out.mux(audio.encode(frame))
    out.mux(video.encode(None))
    out.mux(audio.encode(None))
    out.close()


def load_packets(path: Path, kind: str) -> list[tuple[float, bytes]]:
    container = av.open(str(path))
    stream = next(s for s in container.streams if s.type == kind)
    packets = [(float(p.pts * p.time_base), bytes(p)) for p in container.demux(stream) if p.size]
    container.close()
    return packets


class FileTrack(MediaStreamTrack):
    """Replays pre-encoded packets in real time, looping; never encodes."""

    def __init__(self, kind: str, packets: list[tuple[float, bytes]]) -> None:
        super().__init__()
        self.kind = kind
        self.packets = packets
        self.loop_len = packets[-1][0] + (1 / FPS if kind == "video" else 0.02)
        self.clock = 90000 if kind == "video" else 48000
        self.i = 0
        self.sent = 0
        self.start: float | None = None

    async def recv(self) -> av.Packet:
        if self.start is None:
            self.start = time.monotonic()
        n = len(self.packets)
        t, data = self.packets[self.i % n]
        t += (self.i // n) * self.loop_len
        self.i += 1
        self.sent += 1
        delay = self.start + t - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        packet = av.Packet(data)
        packet.pts = int(t * self.clock)
        packet.time_base = fractions.Fraction(1, self.clock)
        return packet


class BenchClient:
    """Publishes file media and/or receives on slots; counts frames, never decodes."""

    def __init__(self, offer_url: str, token: str, media: dict[str, list] | None, slots: int) -> None:
        self.offer_url, self.token = offer_url, token
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.pid: str | None = None
        self.mid_owner: dict[str, str] = {}
        self.video: dict[str, int] = {}
        self.roster: list[dict] = []
        self.tasks: list[asyncio.Task] = []
        self.sources: dict[str, FileTrack] = {}
        for kind, packets in (media or {}).items():
            self.sources[kind] = FileTrack(kind, packets)
            self.pc.addTransceiver(self.sources[kind], direction="sendonly")
        for _ in range(slots):
            self.pc.addTransceiver("audio", direction="recvonly")
            self.pc.addTransceiver("video", direction="recvonly")
        self.channel = self.pc.createDataChannel("room")
        self.channel.on("message", self._message)
        self.pc.on("track", self._track)

    def _message(self, raw: str) -> None:
        msg = json.loads(raw)
        if msg["type"] == "tracks":
            self.mid_owner = {t["mid"]: t["participant_id"] for t in msg["tracks"]}
        elif msg["type"] == "roster":
            self.roster = msg["participants"]

    def _track(self, track: MediaStreamTrack) -> None:
        passthrough.mark_passthrough(track)
        mid = next(t.mid for t in self.pc.getTransceivers() if t.receiver.track is track)
        self.tasks.append(asyncio.ensure_future(self._count(mid, track)))

    async def _count(self, mid: str, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                if track.kind == "video":
                    owner = self.mid_owner.get(mid, mid)
                    self.video[owner] = self.video.get(owner, 0) + 1
        except (MediaStreamError, asyncio.CancelledError):
            pass

    async def join(self) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        body = {"token": self.token, "type": "offer", "sdp": self.pc.localDescription.sdp}
        async with aiohttp.ClientSession() as http, http.post(self.offer_url, json=body) as resp:
            reply = await resp.json()
            assert resp.status == 200, reply
        self.pid = reply["participant_id"]
        await self.pc.setRemoteDescription(RTCSessionDescription(reply["sdp"], "answer"))

    def admit_lobby(self) -> None:
        if self.channel.readyState != "open":
            return
        for entry in self.roster:
            if entry["state"] == "lobby":
                self.channel.send(json.dumps({"type": "admit", "participant_id": entry["participant_id"]}))

    async def rtp_packets_received(self) -> int:
        total = 0
        for transceiver in self.pc.getTransceivers():
            if transceiver.direction == "recvonly":
                for stat in (await transceiver.receiver.getStats()).values():
                    if stat.type == "inbound-rtp":
                        total += stat.packetsReceived
        return total

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


def token(session: int, user: int, mediator: bool) -> str:
    return sign_room_token(SECRET, {
        "session_id": session, "case_id": session, "user_id": user, "display_name": f"u{user}",
        "role": "mediator" if mediator else "party", "side": None if mediator else "applicant",
        "room_ends_at": iso_utc(time.time() + 3600)}, ttl_seconds=600)


def start_server(kind: str, port: int, workers: int = 1) -> subprocess.Popen:
    env = {**os.environ, "ODR_MEDIA_SECRET": SECRET, "ODR_MEDIA_UDP_RECEIVE_BUFFER": str(UDP_BUFFER), "ODR_MEDIA_HOST_ADDRESSES": "127.0.0.1",
           "ODR_MEDIA_RECORDINGS_DIR": str(OUT / "rec"), "PYTHONPATH": str(ROOT)}
    cmd = ([sys.executable, "-m", "mediation", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
           if kind == "passthrough" else
           [sys.executable, str(ROOT / "benchmarks" / "media_relay_server.py"), "--port", str(port)])
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_up(port: int) -> None:
    for _ in range(100):
        try:
            async with aiohttp.ClientSession() as http, http.post(f"http://127.0.0.1:{port}/rooms/offer", json={}):
                return
        except aiohttp.ClientError:
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


def cpu_seconds(proc: psutil.Process, children: bool = True) -> float:
    """User + system CPU of ``proc`` and, for a server with --workers, its live worker processes."""
    total = 0.0
    for p in [proc, *(proc.children(recursive=True) if children else [])]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


async def admit_loop(mediators: list[BenchClient], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for m in mediators:
            m.admit_lobby()
        await asyncio.sleep(0.3)


async def fanout(kind: str, subscribers: int, media: dict, seconds: float, port: int) -> dict[str, float]:
    server = start_server(kind, port)
    proc = psutil.Process(server.pid)
    clients: list[BenchClient] = []
    stop = asyncio.Event()
    try:
        await wait_up(port)
        url = f"http://127.0.0.1:{port}/rooms/offer"
        publisher = BenchClient(url, token(1, 1, True), media, slots=0)
        await publisher.join()
        clients.append(publisher)
        admitter = asyncio.ensure_future(admit_loop([publisher], stop))
        for n in range(subscribers):
            sub = BenchClient(url, token(1, 10 + n, False), None, slots=1)
            await sub.join()
            clients.append(sub)
        await asyncio.sleep(4)  # connect, admit, first keyframes
        subs = clients[1:]
        p0 = sum([await s.rtp_packets_received() for s in subs])
        f0 = [sum(s.video.values()) for s in subs]
        c0, t0 = cpu_seconds(proc), time.monotonic()
        await asyncio.sleep(seconds)
        c1, t1 = cpu_seconds(proc), time.monotonic()
        p1 = sum([await s.rtp_packets_received() for s in subs])
        f1 = [sum(s.video.values()) for s in subs]
        stop.set()
        await admitter
        wall = t1 - t0
        return {"cpu_per_s": (c1 - c0) / wall, "packets_per_s": (p1 - p0) / wall,
                "min_sub_fps": min(b - a for a, b in zip(f0, f1, strict=True)) / wall}
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        server.terminate()
        server.wait(10)


async def rooms_capacity(media: dict, port: int, max_rooms: int, seconds: float,
                         workers: int = 1) -> list[dict[str, Any]]:
    results = []
    server = start_server("passthrough", port, workers)
    proc, me = psutil.Process(server.pid), psutil.Process()
    clients: list[BenchClient] = []
    mediators: list[BenchClient] = []
    stop = asyncio.Event()
    try:
        await wait_up(port)
        url = f"http://127.0.0.1:{port}/rooms/offer"
        admitter = asyncio.ensure_future(admit_loop(mediators, stop))
        for rooms in range(1, max_rooms + 1):
            for who in range(3):
                c = BenchClient(url, token(100 + rooms, rooms * 10 + who, who == 0), media, slots=2)
                await c.join()
                clients.append(c)
                if who == 0:
                    mediators.append(c)
            if rooms < 4 and rooms != max_rooms:
                continue  # measure from 4 rooms up
            await asyncio.sleep(4)
            before = [dict(c.video) for c in clients]
            sent0 = [c.sources["video"].sent for c in clients]
            c0, t0, me0 = cpu_seconds(proc), time.monotonic(), cpu_seconds(me, children=False)
            await asyncio.sleep(seconds)
            wall = time.monotonic() - t0
            cpu = (cpu_seconds(proc) - c0) / wall
            client_cpu = (cpu_seconds(me, children=False) - me0) / wall
            sent_fps = min(c.sources["video"].sent - s0 for c, s0 in zip(clients, sent0, strict=True)) / wall
            fps = []
            for c, b in zip(clients, before, strict=True):
                owners = [o for o in c.video if not o.isdigit()]  # by participant id
                fps += [(c.video[o] - b.get(o, 0)) / wall for o in owners]
            fps = fps or [0.0]
            ok = len(fps) == rooms * 6 and min(fps) >= 14
            results.append({"rooms": rooms, "ok": ok, "min_fps": min(fps),
                            "median_fps": statistics.median(fps), "server_cpu_per_s": cpu,
                            "client_cpu_per_s": client_cpu, "min_sent_fps": sent_fps,
                            "load_avg_1m": os.getloadavg()[0]})
            print(f"  {rooms} rooms: received fps min {min(fps):.1f} median {statistics.median(fps):.1f} "
                  f"(publishers sent >= {sent_fps:.1f}), server CPU {cpu:.2f} s/s, clients CPU "
                  f"{client_cpu:.2f} s/s, streams {len(fps)}/{rooms * 6}, "
                  f"load avg {os.getloadavg()[0]:.1f}", flush=True)
            if not ok:
                break
        stop.set()
        await admitter
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        server.terminate()
        server.wait(10)
    return results


async def main(args: argparse.Namespace) -> None:
    global UDP_BUFFER
    UDP_BUFFER = args.udp_buffer
    passthrough.install()
    install_host_addresses(["127.0.0.1"])
    install_receive_buffers(args.udp_buffer)  # the clients stand for browsers, whose buffers are large
    media_file = OUT / "bench-640x480-vp8-opus.webm"
    make_media(media_file)
    media = {"audio": load_packets(media_file, "audio"), "video": load_packets(media_file, "video")}
    summary: dict[str, Any] = {"fanout": {}, "rooms": None}
    port = 8800
    for subs in (2, 4) if args.repeat else ():
        for kind in ("passthrough", "reencode"):
            runs = []
            for _ in range(args.repeat):
                port += 1
                runs.append(await fanout(kind, subs, media, args.seconds, port))
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            summary["fanout"][f"{kind}-{subs}"] = med
            print(f"{kind:12s} 1->{subs}: server CPU {med['cpu_per_s']:.3f} s/s, "
                  f"{med['packets_per_s']:.0f} RTP packets/s delivered, "
                  f"min subscriber fps {med['min_sub_fps']:.1f}", flush=True)
        p, r = summary["fanout"][f"passthrough-{subs}"], summary["fanout"][f"reencode-{subs}"]
        print(f"  ratio at {subs} subscribers: re-encoding uses "
              f"{r['cpu_per_s'] / max(p['cpu_per_s'], 1e-9):.1f}x the CPU", flush=True)
    if args.rooms:
        print(f"three-party rooms on the pass-through server ({args.workers} worker process(es)):", flush=True)
        summary["rooms"] = await rooms_capacity(media, port + 1, args.rooms, args.seconds, args.workers)
        summary["workers"] = args.workers
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "media_bench.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per fan-out case (median; 0: skip)")
    parser.add_argument("--rooms", type=int, default=14, help="most three-party rooms to try (0: skip)")
    parser.add_argument("--workers", type=int, default=1, help="media server processes for the rooms test")
    parser.add_argument("--udp-buffer", type=int, default=4 * 1024 * 1024,
                        help="UDP receive buffer per socket, server and clients (0: OS default)")
    asyncio.run(main(parser.parse_args()))
