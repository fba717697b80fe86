"""The aiohttp app: signaling endpoint, health check, CORS, clean shutdown.

Shaped after aiortc's ``examples/server/server.py`` (JSON offer/answer, peers
closed at shutdown), with the token check in front and the room rules behind.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from mediation import passthrough
from mediation.callbacks import Callbacks
from mediation.config import Settings
from mediation.forwarding import check_sender_shape
from mediation.ice import install_host_addresses
from mediation.protocol import RoomClaims, TokenError, api_error, verify_room_token
from mediation.rooms import RoomError, Rooms
from mediation.sockets import install_receive_buffers

logger = logging.getLogger(__name__)

MAX_OFFER_BYTES = 256 * 1024
ROOMS_KEY = web.AppKey("rooms", Rooms)
SETTINGS_KEY = web.AppKey("settings", Settings)
CALLBACKS_KEY = web.AppKey("callbacks", Callbacks)


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(api_error(code, message), status=status, headers=headers)


def _cors_headers(request: web.Request) -> dict[str, str]:
    """Allow the web app's origin only; browsers POST the offer cross-origin."""
    origin = request.headers.get("Origin")
    allowed = request.app[SETTINGS_KEY].allowed_origins
    if origin and (origin in allowed or "*" in allowed):
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        }
    return {}


@web.middleware
async def cors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    headers = _cors_headers(request)
    if request.method == "OPTIONS":
        return web.Response(status=204 if headers else 403, headers=headers)
    response = await handler(request)
    response.headers.update(headers)
    return response


async def checked_offer(request: web.Request) -> tuple[dict[str, Any], RoomClaims] | web.Response:
    """The offer's JSON and its verified token claims, or the error response to send.

    Shared by a single server and the ``--workers`` front, so both refuse bad input alike.
    """
    try:
        params = await request.json()
    except ValueError:
        return error_response(400, "bad_request", "expected a JSON body")
    if not isinstance(params, dict):
        return error_response(400, "bad_request", "expected a JSON object")
    try:
        claims = verify_room_token(request.app[SETTINGS_KEY].secret, params.get("token"))
    except TokenError as exc:
        return error_response(401, f"token_{exc.code}", exc.message)
    return params, claims


async def offer(request: web.Request) -> web.Response:
    """``{"token", "type": "offer", "sdp"}`` -> ``{"type": "answer", "sdp", "participant_id"}``."""
    checked = await checked_offer(request)
    if isinstance(checked, web.Response):
        return checked
    params, claims = checked
    if params.get("type") != "offer" or not isinstance(params.get("sdp"), str):
        return error_response(400, "bad_request", 'expected {"type": "offer", "sdp": ...}')
    try:
        room = request.app[ROOMS_KEY].get(claims)
        participant = await room.join(claims, params["sdp"])
    except RoomError as exc:
        return error_response(exc.status, exc.code, exc.message)
    return web.json_response(
        {"type": "answer", "sdp": participant.answer_sdp,
         "participant_id": participant.participant_id}
    )


async def healthz(request: web.Request) -> web.Response:
    rooms = request.app[ROOMS_KEY].rooms
    live = [r for r in rooms.values() if not r.closed]
    return web.json_response({
        "status": "ok",
        "rooms": len(live),
        "participants": sum(len(r.participants) for r in live),
    })


async def _on_shutdown(app: web.Application) -> None:
    await app[ROOMS_KEY].close_all()
    await app[CALLBACKS_KEY].drain()


def create_app(settings: Settings) -> web.Application:
    """Build the app; installs the process-wide aiortc/aioice adjustments."""
    passthrough.install()
    check_sender_shape()
    install_host_addresses(settings.host_addresses)
    install_receive_buffers(settings.udp_receive_buffer)
    app = web.Application(middlewares=[cors_middleware], client_max_size=MAX_OFFER_BYTES)
    callbacks = Callbacks(settings.secret, settings.callback_base,
                          retries=settings.callback_retries, backoff=settings.callback_backoff)
    app[SETTINGS_KEY] = settings
    app[CALLBACKS_KEY] = callbacks
    app[ROOMS_KEY] = Rooms(settings, callbacks)
    app.router.add_post("/rooms/offer", offer)
    app.router.add_get("/healthz", healthz)
    app.on_shutdown.append(_on_shutdown)
    return app
