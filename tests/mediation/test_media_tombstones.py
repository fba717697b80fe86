"""Ended rooms stay closed while a token could reopen them, and are forgotten afterwards.

No peer connections here: rooms are created the way the offer endpoint does,
through ``Rooms.get`` with verified claims, and ended with ``Room.end``.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from mediation.callbacks import Callbacks
from mediation.config import Settings
from mediation.protocol import iso_utc, sign_room_token, verify_room_token
from mediation.rooms import RoomError, Rooms
from tests.mediation.helpers import SECRET, claims

TTL = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _claims(clock: Clock, session_id: int = 5, ttl: float = 30, user_id: int = 2):
    data = {**claims(user_id, session_id=session_id), "room_ends_at": iso_utc(clock.now + 7200)}
    tok = sign_room_token(SECRET, data, ttl_seconds=int(ttl), now=clock.now)
    return verify_room_token(SECRET, tok, now=clock.now)


def _rooms(clock: Clock, **kwargs) -> Rooms:
    settings = Settings(secret=SECRET, max_token_ttl=TTL)
    return Rooms(settings, Callbacks(SECRET, None), clock=clock, **kwargs)


def _refused(rooms: Rooms, claims_) -> RoomError:
    with pytest.raises(RoomError) as err:
        rooms.get(claims_)
    return err.value


def test_ended_room_stays_closed_until_every_token_for_it_expired():
    async def scenario() -> None:
        clock = Clock()
        rooms = _rooms(clock)
        room = rooms.get(_claims(clock, ttl=30))
        assert rooms.get(_claims(clock, user_id=3)) is room
        await room.end("mediator")
        assert 5 not in rooms.rooms and 5 in rooms.tombstones
        # A still-valid token cannot reopen the ended session.
        assert _refused(rooms, _claims(clock)).code == "room_closed"

        # Tokens minted before the end live at most max_token_ttl: remembered that long.
        clock.now += TTL - 1
        late = _claims(clock, ttl=50)  # minted now (e.g. an old join page): seen, so remembered
        assert _refused(rooms, late).code == "room_closed"
        clock.now += 10  # past the TTL bound, but this token is still valid
        assert rooms.tombstones and _refused(rooms, _claims(clock, ttl=1)).code == "room_closed"
        clock.now = late.exp + 1  # every token ever seen or possible has expired
        rooms.get(_claims(clock, session_id=6))  # any lookup prunes
        assert 5 not in rooms.tombstones
        await rooms.close_all()

    asyncio.run(scenario())


def test_tokens_living_longer_than_the_bound_are_refused():
    async def scenario() -> None:
        clock = Clock()
        rooms = _rooms(clock)
        error = _refused(rooms, _claims(clock, ttl=TTL + 30))
        assert (error.status, error.code) == (401, "token_invalid")
        assert not rooms.rooms
        assert rooms.get(_claims(clock, ttl=TTL)) is not None
        await rooms.close_all()

    asyncio.run(scenario())


def test_tombstones_are_bounded():
    async def scenario() -> None:
        clock = Clock()
        rooms = _rooms(clock, max_tombstones=3)
        for sid in range(1, 6):
            room = rooms.get(_claims(clock, session_id=sid))
            await room.end("time")
            clock.now += 1
        assert list(rooms.tombstones) == [3, 4, 5]  # the oldest were forgotten first
        assert not rooms.rooms
        assert _refused(rooms, _claims(clock, session_id=5)).code == "room_closed"

    asyncio.run(scenario())
