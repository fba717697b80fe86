"""A room: its participants, who may receive whom, and its life time.

Every rule is enforced here, on the server: the client only asks.  The state
that matters for privacy (lobby, caucus) is turned into media routing by
:meth:`Room._route`, which attaches or detaches each subscriber's slot tracks,
in both directions at once because it loops over every ordered pair.

Message handlers live in :mod:`mediation.room_messages`; recording control in
:mod:`mediation.room_recording`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from mediation.callbacks import Callbacks
from mediation.config import Settings
from mediation.forwarding import Publisher
from mediation.participant import Participant
from mediation.protocol import (
    EVENT_PARTICIPANT_JOINED,
    EVENT_PARTICIPANT_LEFT,
    EVENT_ROOM_ENDED,
    MSG_ENDED,
    MSG_ROSTER,
    MSG_WELCOME,
    STATE_ADMITTED,
    STATE_CAUCUS,
    STATE_LOBBY,
    STATE_WAITING,
    RoomClaims,
)
from mediation.room_messages import dispatch
from mediation.room_recording import RecordingControl

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT = 30.0  # seconds from answer to a connected transport
MAX_TOMBSTONES = 10_000  # ended rooms remembered at most (each is a key and a float)


class RoomError(Exception):
    """An HTTP-level refusal: ``status`` with the API error ``code``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Room:
    """One mediation session's live room."""

    def __init__(self, claims: RoomClaims, settings: Settings, callbacks: Callbacks,
                 on_closed: Callable[[Room], None] | None = None) -> None:
        self.session_id = claims.session_id
        self.case_id = claims.case_id
        self.kind = claims.kind  # "mediation" or "hearing": decides which messages exist
        self.ends_at = claims.room_ends_at_ts()
        self.latest_token_exp = claims.exp  # the last moment a token seen here is valid
        self.on_closed = on_closed
        self.settings = settings
        self.callbacks = callbacks
        self.participants: dict[str, Participant] = {}
        self.caucus: set[str] | None = None  # participant ids, mediators implied
        self.closed = False
        self._user_pids: dict[int | str, str] = {}
        self._admitted_users: set[int | str] = set()
        self._consents: dict[int | str, bool] = {}
        self._last_tracks: dict[str, Any] = {}
        self.recording = RecordingControl(self)
        self._watchdog = asyncio.ensure_future(self._watch_deadline())

    # -- time -----------------------------------------------------------------
    @property
    def deadline(self) -> float:
        """The room closes at the booked end plus the grace period."""
        return self.ends_at + self.settings.grace_seconds

    async def _watch_deadline(self) -> None:
        while not self.closed:
            remaining = self.deadline - time.time()
            if remaining <= 0:
                await self.end("time")
                return
            await asyncio.sleep(min(remaining, 30))

    # -- membership -------------------------------------------------------------
    def event(self, event: str, **fields: Any) -> None:
        self.callbacks.event(event, self.session_id, case_id=self.case_id, **fields)

    async def join(self, claims: RoomClaims, offer_sdp: str) -> Participant:
        """Admit a connection with a verified token; return it with its answer ready."""
        if self.closed or time.time() >= self.deadline:
            raise RoomError(409, "room_closed", "this session's room is closed")
        self.ends_at = max(self.ends_at, claims.room_ends_at_ts())
        old_pid = self._user_pids.get(claims.user_id)
        if old_pid and old_pid in self.participants:
            # One connection per person: a reconnect replaces the stale one. A page still
            # alive (the room open in a second window) is told, so it does not rejoin in turn.
            stale = self.participants[old_pid]
            stale.send({"type": "replaced"})
            await asyncio.sleep(0.05)  # let the message leave before the connection closes
            await stale.close()
        pid = old_pid or "p-" + secrets.token_urlsafe(6)
        self._user_pids[claims.user_id] = pid
        participant = Participant(pid, claims, self.settings.ice_servers)
        if claims.is_mediator or claims.user_id in self._admitted_users:
            participant.state = STATE_ADMITTED
        participant.consent = self._consents.get(claims.user_id)
        participant.on_message = lambda p, m: dispatch(self, p, m)
        participant.on_channel_open = self._welcome
        participant.on_gone = self._gone
        try:
            participant.answer_sdp = await participant.answer(offer_sdp)
        except Exception as exc:  # aiortc raises several types for bad SDP
            await participant.close()
            raise RoomError(400, "bad_offer", f"the offer could not be applied: {exc}") from exc
        if self.closed:
            await participant.close()
            raise RoomError(409, "room_closed", "this session's room is closed")
        self.participants[pid] = participant
        asyncio.ensure_future(participant.expire_unless_connected(CONNECT_TIMEOUT))
        self.event(EVENT_PARTICIPANT_JOINED, participant_id=pid, user_id=claims.user_id,
                   display_name=claims.display_name, role=claims.role, side=claims.side)
        self.changed()
        return participant

    def _welcome(self, participant: Participant) -> None:
        participant.send({"type": MSG_WELCOME, "participant_id": participant.participant_id,
                          "role": participant.claims.role, "state": participant.state})
        participant.send(self.roster_message())
        participant.send(self.recording.notice())
        self._last_tracks.pop(participant.participant_id, None)
        self._send_tracks(participant)

    def _gone(self, participant: Participant) -> None:
        pid = participant.participant_id
        if self.participants.get(pid) is not participant:
            return
        del self.participants[pid]
        if self.caucus is not None:
            self.caucus.discard(pid)
        self.event(EVENT_PARTICIPANT_LEFT, participant_id=pid, user_id=participant.user_id)
        if not self.closed:
            self.changed()

    # -- rules -------------------------------------------------------------------
    def in_caucus(self, participant: Participant) -> bool:
        return self.caucus is not None and (
            participant.is_mediator or participant.participant_id in self.caucus
        )

    def may_receive(self, subscriber: Participant, publisher: Participant) -> bool:
        """Lobby hears nothing and is heard by nobody; a caucus splits the room."""
        if subscriber is publisher:
            return False
        if STATE_LOBBY in (subscriber.state, publisher.state):
            return False
        if self.caucus is None:
            return True
        return self.in_caucus(subscriber) == self.in_caucus(publisher)

    def set_admitted(self, participant: Participant, admitted: bool) -> None:
        if admitted:
            self._admitted_users.add(participant.user_id)
            participant.state = STATE_ADMITTED
        else:
            self._admitted_users.discard(participant.user_id)
            participant.state = STATE_LOBBY
            if self.caucus is not None:
                self.caucus.discard(participant.participant_id)

    def set_consent(self, participant: Participant, consent: bool) -> None:
        self._consents[participant.user_id] = consent
        participant.consent = consent

    def _restate(self) -> None:
        for p in self.participants.values():
            if p.state == STATE_LOBBY:
                continue
            if self.caucus is None:
                p.state = STATE_ADMITTED
            else:
                p.state = STATE_CAUCUS if self.in_caucus(p) else STATE_WAITING

    def changed(self) -> None:
        """Recompute states and routing after any change; tell everyone."""
        if self.closed:
            return
        self._restate()
        self._route()
        roster = self.roster_message()
        for p in list(self.participants.values()):
            p.send(roster)
        self.recording.refresh()

    def roster_message(self) -> dict[str, Any]:
        return {"type": MSG_ROSTER,
                "participants": [p.roster_entry() for p in self.participants.values()]}

    # -- media routing --------------------------------------------------------------
    def _route(self) -> None:
        """Attach or detach every slot; newly attached video starts from a fresh keyframe.

        An admit, a caucus ending or a new publisher attaches slots to
        publishers that have been sending for a while; the keyframe request
        for them is made here, once per publisher, after all slots are wired.
        """
        present = self.participants
        fresh: set[Publisher] = set()
        for sub in present.values():
            for pair in sub.slots:
                if pair.publisher_id is not None and pair.publisher_id not in present:
                    sub.release_slot(pair.publisher_id)
            for pub in present.values():
                if pub is sub:
                    continue
                allowed = self.may_receive(sub, pub)
                pair = sub.slot_for(pub.participant_id, assign=bool(pub.publishers))
                if pair is None:
                    continue
                for slot in pair.tracks():
                    source = pub.publishers.get(slot.kind)
                    if allowed and source is not None:
                        if slot.attach(source):
                            fresh.add(source)
                    else:
                        slot.detach()
            self._send_tracks(sub)
        for publisher in fresh:
            publisher.request_keyframe()

    def _send_tracks(self, sub: Participant) -> None:
        message = sub.tracks_message(
            lambda pid: pid in self.participants
            and self.may_receive(sub, self.participants[pid])
        )
        if self._last_tracks.get(sub.participant_id) != message:
            self._last_tracks[sub.participant_id] = message
            sub.send(message)

    def request_keyframes(self) -> None:
        """After a caucus ends every video starts again from a keyframe."""
        for p in self.participants.values():
            publisher = p.publishers.get("video")
            if publisher is not None:
                publisher.request_keyframe()

    # -- the end ------------------------------------------------------------------------
    async def end(self, reason: str) -> None:
        """Close the room for good: stop recording, tell everyone, close every peer."""
        if self.closed:
            return
        self.closed = True
        if self.on_closed is not None:
            self.on_closed(self)  # from now on only a tombstone answers for this session
        await self.recording.stop("room_ended")
        for p in list(self.participants.values()):
            p.send({"type": MSG_ENDED, "reason": reason})
        await asyncio.sleep(0.1)  # let the notices leave before the transports close
        await asyncio.gather(*(p.close() for p in list(self.participants.values())))
        self.participants.clear()
        self.event(EVENT_ROOM_ENDED, reason=reason)
        if self._watchdog is not asyncio.current_task():
            self._watchdog.cancel()

    async def shutdown(self) -> None:
        """Server shutdown: finish recordings and close peers without ending the room."""
        self.closed = True
        self._watchdog.cancel()
        await self.recording.stop("shutdown")
        await asyncio.gather(*(p.close() for p in list(self.participants.values())))
        self.participants.clear()


class Rooms:
    """The live rooms of this process by session id, and tombstones of ended ones.

    An ended room must stay closed: a participant still holding a valid token
    must not open a fresh room for the same session.  Only the token matters
    (the server never reads the database), so a tombstone is kept exactly as
    long as some token could still reopen the room: until the latest expiry of
    any token seen for the session, and at least ``max_token_ttl`` after the
    end for tokens minted but not yet used.  Tokens promising to live longer
    than that are refused, so the bound holds.  Expired tombstones are dropped
    whenever a room is looked up or closed, and at most ``max_tombstones`` are
    kept (the oldest go first), so memory stays bounded.
    """

    def __init__(self, settings: Settings, callbacks: Callbacks,
                 clock: Callable[[], float] = time.time,
                 max_tombstones: int = MAX_TOMBSTONES) -> None:
        self.settings = settings
        self.callbacks = callbacks
        self.clock = clock
        self.max_tombstones = max_tombstones
        self.rooms: dict[int | str, Room] = {}
        self.tombstones: OrderedDict[int | str, float] = OrderedDict()  # session -> forget at

    def get(self, claims: RoomClaims) -> Room:
        now = self.clock()
        self._prune(now)
        if claims.exp > now + self.settings.max_token_ttl:
            raise RoomError(401, "token_invalid", "the room token is valid for longer than allowed")
        sid = claims.session_id
        if sid in self.tombstones:
            # This token could reopen the room until it expires: remember the room as long.
            self.tombstones[sid] = max(self.tombstones[sid], claims.exp)
            raise RoomError(409, "room_closed", "this session's room is closed")
        room = self.rooms.get(sid)
        if room is None:
            if now >= claims.room_ends_at_ts() + self.settings.grace_seconds:
                raise RoomError(409, "room_closed", "this session's room is closed")
            room = Room(claims, self.settings, self.callbacks, on_closed=self._closed)
            self.rooms[sid] = room
        if room.closed:
            raise RoomError(409, "room_closed", "this session's room is closed")
        room.latest_token_exp = max(room.latest_token_exp, claims.exp)
        return room

    def _closed(self, room: Room) -> None:
        """A room ended: replace it by a tombstone that outlives every token for it."""
        if self.rooms.get(room.session_id) is room:
            del self.rooms[room.session_id]
        now = self.clock()
        forget_at = max(room.latest_token_exp, now + self.settings.max_token_ttl)
        self.tombstones[room.session_id] = forget_at
        self.tombstones.move_to_end(room.session_id)
        self._prune(now)
        while len(self.tombstones) > self.max_tombstones:
            self.tombstones.popitem(last=False)

    def _prune(self, now: float) -> None:
        for sid in [sid for sid, forget_at in self.tombstones.items() if forget_at <= now]:
            del self.tombstones[sid]

    async def close_all(self) -> None:
        await asyncio.gather(*(room.shutdown() for room in self.rooms.values()),
                             return_exceptions=True)
