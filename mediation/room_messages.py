"""Data-channel messages from participants, checked before anything changes.

Each handler first validates (raising :class:`Refused`) and only then mutates,
so a refused message is answered ``{"type": "error", "code", "message"}`` and
changes nothing, as API.md requires.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mediation.protocol import (
    CLIENT_MESSAGES,
    EVENT_ADMITTED,
    EVENT_CAUCUS_ENDED,
    EVENT_CAUCUS_STARTED,
    KIND_FORBIDDEN_MESSAGES,
    MEDIATOR_ONLY_MESSAGES,
    MSG_ANSWER,
    MSG_PONG,
    MSG_REMOVED,
    STATE_LOBBY,
    error_message,
)

if TYPE_CHECKING:
    from mediation.participant import Participant
    from mediation.rooms import Room

logger = logging.getLogger(__name__)


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _target(room: Room, message: dict[str, Any]) -> Participant:
    pid = message.get("participant_id")
    target = room.participants.get(pid) if isinstance(pid, str) else None
    if target is None:
        raise Refused("not_found", "no such participant in this room")
    return target


def _admit(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    target = _target(room, message)
    if target.state != STATE_LOBBY:
        raise Refused("invalid_state", "that participant is not in the lobby")
    room.set_admitted(target, True)
    room.event(EVENT_ADMITTED, participant_id=target.participant_id, user_id=target.user_id,
               by=sender.user_id)
    room.changed()


def _to_lobby(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    target = _target(room, message)
    if target.is_mediator:
        raise Refused("forbidden", "a mediator cannot be sent to the lobby")
    if target.state == STATE_LOBBY:
        raise Refused("invalid_state", "that participant is already in the lobby")
    room.set_admitted(target, False)
    room.changed()


def _remove(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    target = _target(room, message)
    if target.is_mediator:
        raise Refused("forbidden", "a mediator cannot be removed")
    room.set_admitted(target, False)
    target.send({"type": MSG_REMOVED})

    async def close_later() -> None:
        await asyncio.sleep(0.2)  # let the notice reach the client first
        await target.close()

    asyncio.ensure_future(close_later())


def _caucus(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    ids = message.get("participant_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise Refused("bad_message", "participant_ids must be a non-empty list of ids")
    chosen: set[str] = set()
    for pid in ids:
        target = room.participants.get(pid)
        if target is None:
            raise Refused("not_found", f"no participant {pid} in this room")
        if target.state == STATE_LOBBY:
            raise Refused("invalid_state", "admit a participant before a caucus with them")
        if not target.is_mediator:
            chosen.add(pid)
    if not chosen:
        raise Refused("bad_message", "a caucus needs at least one participant besides mediators")
    room.caucus = chosen
    room.recording.pause()
    room.event(EVENT_CAUCUS_STARTED, participant_ids=sorted(chosen),
               user_ids=[room.participants[p].user_id for p in sorted(chosen)])
    room.changed()


def _caucus_end(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    if room.caucus is None:
        raise Refused("invalid_state", "no caucus is running")
    room.caucus = None
    room.event(EVENT_CAUCUS_ENDED)
    room.changed()
    room.request_keyframes()
    room.recording.resume()


def _end(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    asyncio.ensure_future(room.end("mediator"))


def _consent(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    consent = message.get("consent")
    if not isinstance(consent, bool):
        raise Refused("bad_message", "consent must be true or false")
    room.set_consent(sender, consent)
    room.changed()  # the roster shows consents; a withdrawal stops the recording


def _record_start(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    room.recording.start()  # raises Refused when a rule is not met


def _record_stop(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    if not room.recording.active:
        raise Refused("invalid_state", "nothing is being recorded")
    asyncio.ensure_future(room.recording.stop("mediator"))


def _offer(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    sdp = message.get("sdp")
    if not isinstance(sdp, str) or not sdp:
        raise Refused("bad_message", "an offer needs sdp")

    async def renegotiate() -> None:
        try:
            sender.answer_sdp = await sender.answer(sdp)
        except Exception as exc:  # noqa: BLE001 - a bad SDP must not take the room down
            sender.send(error_message("bad_offer", f"the offer could not be applied: {exc}"))
            return
        sender.send({"type": MSG_ANSWER, "sdp": sender.answer_sdp})
        room.changed()

    asyncio.ensure_future(renegotiate())


def _answer(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    raise Refused("unexpected_answer", "the server has not sent an offer")


def _ping(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    sender.send({"type": MSG_PONG, "t": message.get("t")})


HANDLERS: dict[str, Callable[[Room, Participant, dict[str, Any]], None]] = {
    "admit": _admit,
    "to_lobby": _to_lobby,
    "remove": _remove,
    "caucus": _caucus,
    "caucus_end": _caucus_end,
    "end": _end,
    "recording_consent": _consent,
    "record_start": _record_start,
    "record_stop": _record_stop,
    "offer": _offer,
    "answer": _answer,
    "ping": _ping,
}
assert set(HANDLERS) == set(CLIENT_MESSAGES)


def dispatch(room: Room, sender: Participant, message: dict[str, Any]) -> None:
    """Check and apply one message; answer an error if it is not allowed."""
    kind = message.get("type")
    handler = HANDLERS.get(kind)  # type: ignore[arg-type]
    try:
        if room.closed:
            raise Refused("room_closed", "the room is closed")
        if handler is None:
            raise Refused("unknown_type", f"unknown message type {kind!r}")
        if kind in KIND_FORBIDDEN_MESSAGES.get(room.kind, ()):
            raise Refused("not_allowed", f"a {room.kind} room has no {kind!r}")
        if kind in MEDIATOR_ONLY_MESSAGES and not sender.is_mediator:
            raise Refused("forbidden", "only the mediator may do that")
        if sender.participant_id not in room.participants:
            raise Refused("forbidden", "you are not in this room")
        handler(room, sender, message)
    except Refused as refusal:
        sender.send(error_message(refusal.code, refusal.message))
