"""When a room may record, and what happens to a finished file.

Rules (DESIGN.md, law [E §22]): recording starts only when every admitted
participant has consented; it pauses for the whole of a caucus; it stops if
anyone withdraws consent or someone is admitted who has not consented.  Such a
stop happens while the message that caused it is handled, before another frame
can reach the file, so the file holds only time everyone had agreed to.  When
the set of recorded participants changes (someone admitted, someone left) the
file is closed and a new one begins, because WebM fixes its tracks up front.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from mediation.protocol import (
    EVENT_RECORDING_STARTED,
    EVENT_RECORDING_STOPPED,
    MSG_RECORDING,
    STATE_LOBBY,
)
from mediation.recording import Recorder, sha256_file
from mediation.room_messages import Refused

if TYPE_CHECKING:
    from mediation.participant import Participant
    from mediation.rooms import Room

logger = logging.getLogger(__name__)


class RecordingControl:
    """The recording state machine of one room: idle, recording, paused."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self.active = False
        self.recorder: Recorder | None = None
        self._members: frozenset = frozenset()
        self.files: list[str] = []
        self._deliveries: set[asyncio.Future] = set()

    # -- state ---------------------------------------------------------------
    @property
    def state(self) -> str:
        if not self.active:
            return "idle"
        return "paused" if self.recorder is None or self.recorder.paused else "recording"

    def notice(self, reason: str | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {"type": MSG_RECORDING, "state": self.state}
        if reason:
            message["reason"] = reason
        return message

    def _broadcast(self, reason: str | None = None) -> None:
        notice = self.notice(reason)
        for p in list(self.room.participants.values()):
            p.send(notice)

    def _present(self) -> list[Participant]:
        return [p for p in self.room.participants.values() if p.state != STATE_LOBBY]

    def _missing_consent(self) -> list[Participant]:
        return [p for p in self._present() if p.consent is not True]

    def _membership(self) -> frozenset:
        return frozenset(
            (p.participant_id, kind, id(pub))
            for p in self._present() for kind, pub in p.publishers.items()
        )

    # -- control -----------------------------------------------------------------
    def start(self) -> None:
        """The mediator asked to record; raise Refused unless every rule holds."""
        if self.active:
            raise Refused("invalid_state", "already recording")
        if self.room.caucus is not None:
            raise Refused("caucus_active", "a caucus is never recorded; end it first")
        missing = self._missing_consent()
        if missing:
            names = ", ".join(p.claims.display_name for p in missing)
            raise Refused("consent_missing", f"waiting for recording consent from: {names}")
        if not self._membership():
            raise Refused("nothing_to_record", "nobody is sending media yet")
        self._begin()
        self.active = True
        self.room.event(EVENT_RECORDING_STARTED, file=self.recorder.path.rsplit("/", 1)[-1])
        self._broadcast()

    def _begin(self) -> None:
        recorder = Recorder(self.room.settings.recordings_dir, self.room.session_id)
        for p in self._present():
            for kind in ("audio", "video"):
                publisher = p.publishers.get(kind)
                if publisher is not None:
                    recorder.add(publisher, f"{p.claims.display_name} ({p.claims.role}) {kind}")
        self._members = self._membership()
        self.recorder = recorder

    def pause(self) -> None:
        if self.recorder is not None:
            self.recorder.pause()
            self._broadcast("caucus")

    def resume(self) -> None:
        if self.recorder is not None and self.room.caucus is None:
            self.recorder.resume()
            self._broadcast()

    def refresh(self) -> None:
        """After any room change: stop on missing consent, roll on new members."""
        if not self.active:
            return
        missing = self._missing_consent()
        if missing:
            # A present participant who said no withdrew; anyone else arrived unconsented.
            withdrawn = any(p.consent is False for p in missing)
            self._stop_now("consent_withdrawn" if withdrawn else "consent_missing")
            return
        if self._membership() != self._members:
            old = self.recorder
            paused = old is not None and old.paused
            self._finish(old)
            if self._membership():
                self._begin()
                if paused and self.recorder is not None:
                    self.recorder.pause()
            else:
                self.recorder = None

    async def stop(self, reason: str) -> None:
        """Stop for ``reason`` and wait until the file is hashed and handed over."""
        task = self._stop_now(reason)
        if task is not None:
            await task

    def _stop_now(self, reason: str) -> asyncio.Future | None:
        """Close the file at once (no frame after this reaches it) and tell everyone.

        Synchronous on purpose: a consent withdrawal must not leave a window in
        which frames of someone who said no are still written.  The finished
        file is delivered by the returned task.
        """
        if not self.active:
            return None
        self.active = False
        recorder, self.recorder = self.recorder, None
        task = self._finish(recorder)
        self.room.event(EVENT_RECORDING_STOPPED, reason=reason)
        self._broadcast(reason)
        return task

    def _finish(self, recorder: Recorder | None) -> asyncio.Future | None:
        if recorder is None or not recorder.stop():
            return None
        self.files.append(recorder.path)
        task = asyncio.ensure_future(self._deliver(recorder))
        self._deliveries.add(task)  # a strong reference until it is done
        task.add_done_callback(self._deliveries.discard)
        return task

    async def _deliver(self, recorder: Recorder) -> None:
        loop = asyncio.get_running_loop()
        digest = await loop.run_in_executor(None, sha256_file, recorder.path)
        logger.info("recording finished: %s sha256=%s", recorder.path, digest)
        self.room.callbacks.recording(recorder.path, self.room.session_id, digest,
                                      recorder.started_at, recorder.ended_at or recorder.started_at)
