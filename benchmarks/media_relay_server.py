"""Baseline for benchmarks/media_bench.py: aiortc's usual MediaRelay fan-out.

The first peer of a room publishes; its tracks are decoded once and
``MediaRelay`` hands the decoded frames to every later peer, whose senders each
re-encode them.  Same offer endpoint shape as the real media server (tokens
are not checked: this runs only inside the benchmark's network namespace).

    python benchmarks/media_relay_server.py --port 8790
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from aiohttp import web
from aiortc import RTCSessionDescription
from aiortc.contrib.media import MediaRelay

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mediation.ice import install_host_addresses, new_peer_connection  # noqa: E402
from mediation.protocol import verify_room_token  # noqa: E402

SECRET = os.environ.get("ODR_MEDIA_SECRET", "dev-insecure-media-secret")
relay = MediaRelay()
rooms: dict[object, dict[str, object]] = {}
peers: set = set()


async def offer(request: web.Request) -> web.Response:
    params = await request.json()
    claims = verify_room_token(SECRET, params["token"])
    pc = new_peer_connection([])
    peers.add(pc)
    room = rooms.setdefault(claims.session_id, {})
    publishing = not room
    await pc.setRemoteDescription(RTCSessionDescription(params["sdp"], "offer"))
    for transceiver in pc.getTransceivers():
        if publishing and transceiver.receiver.track is not None:
            room[transceiver.kind] = transceiver.receiver.track
        elif not publishing and transceiver._offerDirection == "sendonly":
            source = room.get(transceiver.kind)
            if source is not None:
                transceiver.sender.replaceTrack(relay.subscribe(source))
                transceiver.direction = "sendonly"
                room[transceiver.kind + "_used"] = True
    if publishing:
        # Keep reading the decoded source even before anyone subscribes.
        for kind in ("audio", "video"):
            if kind in room:
                blackhole = relay.subscribe(room[kind])
                asyncio.ensure_future(_drain(blackhole))
    await pc.setLocalDescription(await pc.createAnswer())
    return web.json_response({"type": "answer", "sdp": pc.localDescription.sdp,
                              "participant_id": f"p{len(peers)}"})


async def _drain(track: object) -> None:
    try:
        while True:
            await track.recv()  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - the benchmark ends by closing peers
        return


async def on_shutdown(app: web.Application) -> None:
    await asyncio.gather(*(pc.close() for pc in peers))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    args = parser.parse_args()
    install_host_addresses(["127.0.0.1"])
    app = web.Application()
    app.router.add_post("/rooms/offer", offer)
    app.on_shutdown.append(on_shutdown)
    web.run_app(app, host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
