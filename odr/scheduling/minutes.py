"""Session minutes (调解笔录): written by the mediator, confirmed by each party.

A court hearing's minutes are the court's record (询问笔录): the presiding judge or the
clerk seated in the hearing writes them, the parties read and confirm them the same way,
and the mediator — not the court — does not write them (policy ``session.minutes.write``).

Minutes are made electronically during the session and the undisputed facts are
confirmed in writing [E §22]. So a text someone has confirmed never changes under them:
the mediator edits a draft in place only while nobody has confirmed it; any later change
is a new version. A partly confirmed version is superseded by it; a fully confirmed one
stays fixed (the documents room renders it; paperwork lists it) and the new version is a
supplement. Services check the actor's right themselves and commit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from odr.accounts import policy
from odr.audit.services import record
from odr.cases.models import Case, CaseParty
from odr.core.errors import BadInput, Conflict, Forbidden, NotFound
from odr.core.time import iso, now
from odr.extensions import db
from odr.scheduling.hearings import HEARING
from odr.scheduling.models import MediationSession, Minutes, MinutesConfirmation

DRAFT, CONFIRMING, CONFIRMED, SUPERSEDED = "draft", "confirming", "confirmed", "superseded"
MAX_BODY = 100_000
#: Minutes are written once the session is booked (preparing), live or over.
WRITABLE_SESSION_STATUSES = ("booked", "live", "ended")


@dataclass
class PartyConfirmation:
    """One party's state for one version: confirmed by them or by their agent, or not yet."""

    party: CaseParty
    user_id: int | None
    confirmed_at: datetime | None


def _locked(minutes_id: int) -> Minutes:
    """Re-read a version with a row lock, so a save and a confirmation cannot interleave
    (PostgreSQL; SQLite transactions are already serialized by BEGIN IMMEDIATE)."""
    return db.session.execute(
        select(Minutes).where(Minutes.id == minutes_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()


def versions(case: Case, session: MediationSession | None = None) -> list[Minutes]:
    """Every version of the case's minutes (of one session if given), newest first."""
    q = select(Minutes).where(Minutes.case_id == case.id)
    if session is not None:
        q = q.where(Minutes.session_id == session.id)
    return list(db.session.execute(q.order_by(Minutes.session_id, Minutes.version.desc())).scalars())


def current(case: Case, session: MediationSession) -> Minutes | None:
    """The latest version of one session's minutes."""
    return db.session.execute(
        select(Minutes).where(Minutes.case_id == case.id, Minutes.session_id == session.id)
        .order_by(Minutes.version.desc()).limit(1)).scalar_one_or_none()


def confirmations(minutes: Minutes) -> dict[int, datetime]:
    rows = db.session.execute(select(MinutesConfirmation)
                              .where(MinutesConfirmation.minutes_id == minutes.id)).scalars()
    return {c.user_id: c.confirmed_at for c in rows}


def party_confirmations(minutes: Minutes) -> list[PartyConfirmation]:
    """Each party of the case and whether they (or an agent of theirs) confirmed."""
    case = db.session.get(Case, minutes.case_id)
    done = confirmations(minutes)
    out = []
    for party in case.parties:
        people = [party.user_id] if party.user_id else []
        people += [a.user_id for a in case.agents if a.party_id == party.id and a.user_id]
        who = next((uid for uid in people if uid in done), None)
        out.append(PartyConfirmation(party, who, done.get(who) if who else None))
    return out


def _digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _clean(body: Any) -> str:
    text = (body or "").replace("\r\n", "\n").strip() if isinstance(body, str) else ""
    if not text:
        raise BadInput(_l("Write the minutes before saving."), code="minutes_empty",
                       fields={"body": _l("This field is required.")})
    if len(text) > MAX_BODY or "\x00" in text:
        raise BadInput(_l("The minutes are too long (at most %(n)d characters).", n=MAX_BODY),
                       code="minutes_too_long", fields={"body": _l("Too long.")})
    return text


def save_minutes(case: Case, session: MediationSession, actor: Any, body: Any, *,
                 submit: bool = False) -> Minutes:
    """Save the writer's text (the mediator's, or the court's in a hearing); ``submit`` asks
    the parties to confirm it.

    In place while nobody confirmed the current version, else a new version (see the
    module docstring). Saving the same text again changes nothing.
    """
    if session.case_id != case.id:
        raise NotFound()
    if not policy.can(actor, "session.minutes.write", session):
        if session.kind == HEARING:
            raise Forbidden(_l("Only the presiding judge or the clerk seated in the hearing writes "
                               "the hearing record."))
        raise Forbidden(_l("Only the case's mediator writes the minutes."))
    if session.status not in WRITABLE_SESSION_STATUSES:
        raise Conflict(_l("Minutes are written for a booked, running or finished session."),
                       code="invalid_state")
    text = _clean(body)
    latest = current(case, session)
    if latest is not None:
        latest = _locked(latest.id)
    wanted = CONFIRMING if submit else None
    if latest is not None and latest.status in (DRAFT, CONFIRMING) and not confirmations(latest):
        if latest.body == text and (wanted is None or latest.status == wanted):
            return latest
        before = {"version": latest.version, "status": latest.status, "sha256": _digest(latest.body)}
        latest.body, latest.author_id = text, actor.id
        latest.status = wanted or latest.status
        minutes = latest
        action = "minutes.update"
    else:
        if latest is not None and latest.status == CONFIRMED and latest.body == text:
            return latest
        before = None
        if latest is not None and latest.status != CONFIRMED:
            before = {"version": latest.version, "status": latest.status}
            latest.status = SUPERSEDED
            record("minutes.supersede", latest, actor=actor, before=before, after={"status": SUPERSEDED})
        number = (db.session.execute(select(func.max(Minutes.version)).where(
            Minutes.case_id == case.id, Minutes.session_id == session.id)).scalar() or 0) + 1
        minutes = Minutes(case_id=case.id, session_id=session.id, version=number, body=text,
                          status=wanted or DRAFT, author_id=actor.id)
        db.session.add(minutes)
        action = "minutes.create"
    db.session.flush()
    record(action, minutes, actor=actor, before=before,
           after={"version": minutes.version, "status": minutes.status, "session_id": session.id,
                  "sha256": _digest(text), "length": len(text)})
    db.session.commit()
    return minutes


def confirm_minutes(minutes: Minutes, actor: Any) -> Minutes:
    """One party (or their agent) confirms this exact version; all parties → fixed."""
    if not policy.can(actor, "minutes.confirm", minutes):
        raise Forbidden(_l("Only the parties and their agents confirm the minutes."))
    minutes = _locked(minutes.id)
    if minutes.status == CONFIRMED:
        raise Conflict(_l("These minutes are already confirmed by every party."), code="already_confirmed")
    if minutes.status != CONFIRMING:
        raise Conflict(_l("This version is not open for confirmation."), code="invalid_state")
    if actor.id in confirmations(minutes):
        raise Conflict(_l("You have already confirmed this version."), code="already_confirmed")
    stamp = now()
    db.session.add(MinutesConfirmation(minutes_id=minutes.id, user_id=actor.id, confirmed_at=stamp))
    db.session.flush()
    record("minutes.confirm", minutes, actor=actor,
           after={"version": minutes.version, "sha256": _digest(minutes.body), "user_id": actor.id})
    states = party_confirmations(minutes)
    if states and all(s.confirmed_at for s in states):
        minutes.status, minutes.confirmed_at = CONFIRMED, stamp
        record("minutes.confirmed", minutes, actor=actor, before={"status": CONFIRMING},
               after={"status": CONFIRMED, "version": minutes.version, "confirmed_at": iso(stamp)})
    db.session.commit()
    return minutes
