"""Shared contract between the web app (``odr/``) and the media server.

This is the ONLY module of ``mediation`` that ``odr`` imports, so it is pure
standard library: the web app must be able to mint room tokens and verify
callbacks without pulling aiortc/PyAV into its processes.

Two secrets-based mechanisms live here:

* Room tokens: the web app decides who may join which session and with which
  role; the media server never touches the database and trusts only this
  signed, short-lived token.
* Callback signatures: the media server reports events and recordings back to
  the web app; the web app must be able to tell them apart from forgeries.

Keys are derived per purpose from the one shared secret, so a callback
signature can never be replayed as a room token or vice versa.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

TOKEN_VERSION = 1
CALLBACK_SIGNATURE_HEADER = "X-ODR-Signature"

ROLES = ("mediator", "party", "agent", "judge", "clerk")
#: Who hosts a room (lobby, admit, remove, end, recording; caucus) by the session's kind:
#: the mediator in a mediation, the judge in a court hearing. Carried in the token so the
#: server, which never reads the database, knows the kind without guessing from who is there.
HOST_ROLES = {"mediation": "mediator", "hearing": "judge"}
SIDES = ("applicant", "respondent", None)

# Participant states shown in the roster (API.md, "Media signaling").
STATE_LOBBY = "lobby"
STATE_ADMITTED = "admitted"
STATE_CAUCUS = "caucus"
STATE_WAITING = "waiting"
STATES = (STATE_LOBBY, STATE_ADMITTED, STATE_CAUCUS, STATE_WAITING)

# Data-channel message types.  Client -> server:
MSG_OFFER = "offer"
MSG_ANSWER = "answer"
MSG_ADMIT = "admit"
MSG_TO_LOBBY = "to_lobby"
MSG_REMOVE = "remove"
MSG_CAUCUS = "caucus"
MSG_CAUCUS_END = "caucus_end"
MSG_END = "end"
MSG_RECORDING_CONSENT = "recording_consent"
MSG_RECORD_START = "record_start"
MSG_RECORD_STOP = "record_stop"
MSG_PING = "ping"
# Server -> client:
MSG_ROSTER = "roster"
MSG_WELCOME = "welcome"  # your participant id, role and state, sent once
MSG_TRACKS = "tracks"  # which receive slot (mid) carries which participant
MSG_RECORDING = "recording"  # {"state": "idle"|"recording"|"paused", ...}
MSG_ENDED = "ended"  # the room is over; the client should not reconnect
MSG_REMOVED = "removed"  # you were removed; do not reconnect automatically
MSG_ERROR = "error"
MSG_PONG = "pong"

CLIENT_MESSAGES = (
    MSG_OFFER, MSG_ANSWER, MSG_ADMIT, MSG_TO_LOBBY, MSG_REMOVE, MSG_CAUCUS,
    MSG_CAUCUS_END, MSG_END, MSG_RECORDING_CONSENT, MSG_RECORD_START,
    MSG_RECORD_STOP, MSG_PING,
)
MEDIATOR_ONLY_MESSAGES = (
    MSG_ADMIT, MSG_TO_LOBBY, MSG_REMOVE, MSG_CAUCUS, MSG_CAUCUS_END, MSG_END,
    MSG_RECORD_START, MSG_RECORD_STOP,
)
#: Messages a room of this kind does not have (answered with the error code ``not_allowed``):
#: a court hearing is held in the open, so it has no caucus.  room.js hides the control too.
KIND_FORBIDDEN_MESSAGES = {"mediation": (), "hearing": (MSG_CAUCUS, MSG_CAUCUS_END)}

# Room events reported to ``{callback_base}/media/events``.
EVENT_PARTICIPANT_JOINED = "participant_joined"
EVENT_PARTICIPANT_LEFT = "participant_left"
EVENT_ADMITTED = "admitted"
EVENT_CAUCUS_STARTED = "caucus_started"
EVENT_CAUCUS_ENDED = "caucus_ended"
EVENT_RECORDING_STARTED = "recording_started"
EVENT_RECORDING_STOPPED = "recording_stopped"
EVENT_ROOM_ENDED = "room_ended"
EVENTS = (
    EVENT_PARTICIPANT_JOINED, EVENT_PARTICIPANT_LEFT, EVENT_ADMITTED,
    EVENT_CAUCUS_STARTED, EVENT_CAUCUS_ENDED, EVENT_RECORDING_STARTED,
    EVENT_RECORDING_STOPPED, EVENT_ROOM_ENDED,
)
EVENTS_PATH = "/media/events"
RECORDINGS_PATH = "/media/recordings"


class TokenError(Exception):
    """A room token was refused; ``code`` is ``'expired'`` or ``'invalid'``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class RoomClaims:
    """What the web app vouches for about one person joining one session."""

    session_id: int | str
    case_id: int | str
    user_id: int | str
    display_name: str
    role: str
    side: str | None
    room_ends_at: str
    exp: int
    kind: str = "mediation"

    @property
    def is_mediator(self) -> bool:
        """The room's host (the name predates hearings): see :data:`HOST_ROLES`."""
        return is_host(self.role, self.kind)

    def room_ends_at_ts(self) -> float:
        """The booked end as a unix timestamp (the room closes after it + grace)."""
        return parse_iso(self.room_ends_at).timestamp()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def is_host(role: str, kind: str | None) -> bool:
    """May this role run the room of a session of this kind? (the web app shows the controls
    with the same rule the server enforces)."""
    return role == HOST_ROLES.get(kind or "mediation")


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


def _derive(secret: str, purpose: str) -> bytes:
    """One key per purpose, so signatures cannot be reused across purposes."""
    if not secret:
        raise ValueError("an empty secret is not a secret")
    return hmac.new(secret.encode("utf-8"), purpose.encode("ascii"), hashlib.sha256).digest()


def parse_iso(value: str) -> datetime:
    """Parse ISO 8601 (``Z`` allowed); naive values are taken as UTC."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def iso_utc(ts: float | None = None) -> str:
    """A unix time as ISO 8601 UTC with offset, as API.md asks."""
    moment = datetime.fromtimestamp(time.time() if ts is None else ts, tz=UTC)
    return moment.isoformat(timespec="seconds")


def _validate_claims(data: dict[str, Any]) -> RoomClaims:
    try:
        claims = RoomClaims(
            session_id=data["session_id"],
            case_id=data["case_id"],
            user_id=data["user_id"],
            display_name=str(data["display_name"]),
            role=data["role"],
            side=data.get("side"),
            room_ends_at=data["room_ends_at"],
            exp=int(data["exp"]),
            kind=data.get("kind") or "mediation",
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TokenError("invalid", f"token claims are incomplete: {exc}") from exc
    if claims.role not in ROLES:
        raise TokenError("invalid", "unknown role")
    if not isinstance(claims.kind, str) or claims.kind not in HOST_ROLES:
        raise TokenError("invalid", "unknown session kind")
    if claims.side not in SIDES:
        raise TokenError("invalid", "unknown side")
    for name in ("session_id", "case_id", "user_id"):
        if not isinstance(getattr(claims, name), (int, str)) or isinstance(
            getattr(claims, name), bool
        ):
            raise TokenError("invalid", f"{name} must be an integer or a string")
    try:
        claims.room_ends_at_ts()
    except (ValueError, AttributeError) as exc:
        raise TokenError("invalid", "room_ends_at is not ISO 8601") from exc
    return claims


def sign_room_token(
    secret: str, claims: dict[str, Any], ttl_seconds: int = 300, now: float | None = None
) -> str:
    """Mint a room token: ``base64url(json claims) "." base64url(hmac)``.

    ``exp`` is set from ``ttl_seconds`` unless the caller supplied one; the
    token only needs to live long enough for the client to send its offer.
    """
    moment = time.time() if now is None else now
    payload = dict(claims)
    payload.setdefault("side", None)
    payload.setdefault("exp", int(moment + ttl_seconds))
    payload["v"] = TOKEN_VERSION
    _validate_claims(payload)  # never hand out a token the server will refuse
    body = _b64e(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    mac = hmac.new(_derive(secret, "odr-room-token"), body.encode("ascii"), hashlib.sha256)
    return f"{body}.{_b64e(mac.digest())}"


def verify_room_token(secret: str, token: str, now: float | None = None) -> RoomClaims:
    """Return the claims of a valid, unexpired token or raise :class:`TokenError`."""
    if not isinstance(token, str) or token.count(".") != 1 or len(token) > 8192:
        raise TokenError("invalid", "malformed token")
    body, sig = token.split(".")
    expected = hmac.new(_derive(secret, "odr-room-token"), body.encode("ascii"), hashlib.sha256)
    try:
        given = _b64d(sig)
    except (binascii.Error, ValueError) as exc:
        raise TokenError("invalid", "malformed signature") from exc
    if not hmac.compare_digest(expected.digest(), given):
        raise TokenError("invalid", "bad signature")
    try:
        data = json.loads(_b64d(body))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("invalid", "malformed payload") from exc
    if not isinstance(data, dict) or data.get("v") != TOKEN_VERSION:
        raise TokenError("invalid", "unsupported token version")
    claims = _validate_claims(data)
    moment = time.time() if now is None else now
    if claims.exp <= moment:
        raise TokenError("expired", "the room token has expired; join again")
    return claims


def sign_callback(secret: str, body: bytes, now: float | None = None) -> str:
    """Header value ``t=<unix>,v1=<hex hmac-sha256(f"{t}." + body)>``.

    The timestamp is inside the MAC so a captured callback cannot be replayed
    after ``max_age``.
    """
    t = int(time.time() if now is None else now)
    mac = hmac.new(_derive(secret, "odr-media-callback"), f"{t}.".encode() + body, hashlib.sha256)
    return f"t={t},v1={mac.hexdigest()}"


def verify_callback(
    secret: str, body: bytes, header: str | None, max_age: int = 300, now: float | None = None
) -> bool:
    """True when ``header`` is a fresh signature of ``body`` made with ``secret``."""
    if not header:
        return False
    parts: dict[str, str] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts[key] = value
    try:
        t = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    moment = time.time() if now is None else now
    if abs(moment - t) > max_age:
        return False
    mac = hmac.new(_derive(secret, "odr-media-callback"), f"{t}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), given)


def recording_signed_bytes(session_id: int | str, sha256: str, started_at: str, ended_at: str) -> bytes:
    """What a recording delivery's signature covers: the session it belongs to, the file's
    hash and its time span together, so a captured delivery cannot be re-filed elsewhere."""
    return "\n".join((str(session_id).strip(), sha256.strip().lower(), started_at.strip(),
                      ended_at.strip())).encode("utf-8")


def event_body(event: str, session_id: int | str, **fields: Any) -> bytes:
    """The JSON body of a room event callback (see mediation/README.md)."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    payload = {"event": event, "session_id": session_id, "at": iso_utc(), **fields}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def error_message(code: str, message: str) -> dict[str, str]:
    """The data-channel error shape: ``{"type": "error", "code", "message"}``."""
    return {"type": MSG_ERROR, "code": code, "message": message}


def api_error(code: str, message: str) -> dict[str, dict[str, str]]:
    """The HTTP API error shape of API.md: ``{"error": {"code", "message"}}``."""
    return {"error": {"code": code, "message": message}}
