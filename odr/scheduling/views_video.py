"""Session room pages: the video room, recording consent, and the session minutes.

Thin views: each asks the policy, calls a service (video_room, minutes) and renders or
redirects. The room page only hosts odr/static/js/room.js with the data-* attributes it
reads; the browser asks POST /api/v1/sessions/{id}/join for a token itself, so a page
left open does not carry a stale token.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from odr.accounts import policy
from odr.cases.models import Case
from odr.core.errors import DomainError
from odr.core.time import iso, now
from odr.extensions import db
from odr.scheduling import minutes as minutes_service
from odr.scheduling import video_room
from odr.scheduling.models import MediationSession, Minutes

bp = Blueprint("video", __name__)


def _case(obj: Any) -> Case:
    return db.session.get(Case, obj.case_id)


def room_state(session: MediationSession, user: Any) -> tuple[bool, str | None]:
    """(may enter now, the reason why not) — the same checks the join endpoint makes."""
    try:
        video_room.check_can_enter(session, user)
    except DomainError as exc:
        return False, str(exc.message)
    return True, None


def room_attributes(session: MediationSession, case: Case, user: Any) -> dict[str, str]:
    """The data-* attributes room.js reads (see its header)."""
    seat = video_room.seat_for(user, case, session.kind)
    mine = video_room.attendee(session, user)
    opens, closes = video_room.join_window(session)
    cfg = current_app.config
    return {
        "session-id": str(session.id), "case-id": str(case.id), "user-id": str(user.id),
        "display-name": user.display_name or user.username,
        "role": seat.role if seat else "", "side": (seat.side or "") if seat else "",
        "kind": session.kind,
        "join-url": url_for("api.scheduling_video_join_session", session_id=session.id),
        "media-url": cfg["MEDIA_URL"].rstrip("/"),
        "signaling-url": f"{cfg['MEDIA_URL'].rstrip('/')}/rooms/offer",
        "ice-servers": json.dumps(cfg.get("ICE_SERVERS") or []),
        "starts-at": iso(session.starts_at) or "", "ends-at": iso(session.ends_at) or "",
        "opens-at": iso(opens) or "", "closes-at": iso(closes) or "",
        "status": session.status,
        "recording-consent": "1" if mine is not None and mine.recording_consent_at else "0",
        "consent-url": url_for("video.recording_consent", session_id=session.id),
        "minutes-url": url_for("video.minutes_edit", session_id=session.id),
    }


@bp.get("/sessions/<int:session_id>/room")
def room(session_id: int) -> Any:
    session = policy.get_or_404(MediationSession, session_id, "session.view")
    case = _case(session)
    can_enter, why_not = room_state(session, current_user)
    # the mediator in a mediation; the presiding judge or seated clerk in a court hearing
    writer = policy.can(current_user, "session.minutes.write", session)
    latest = minutes_service.current(case, session)
    return render_template(
        "sessions/room.html", session=session, case=case, can_enter=can_enter, why_not=why_not,
        attrs=room_attributes(session, case, current_user), consent=video_room.attendee(session, current_user),
        seat=video_room.seat_for(current_user, case, session.kind), minutes=latest,
        can_write=writer and session.status in minutes_service.WRITABLE_SESSION_STATUSES)


@bp.post("/sessions/<int:session_id>/recording-consent")
def recording_consent(session_id: int) -> Any:
    session = policy.get_or_404(MediationSession, session_id, "session.join")
    give = request.form.get("consent") == "1"
    try:
        video_room.set_recording_consent(session, current_user, give)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("You consented to the session being recorded.") if give
              else _("You withdrew your consent to recording."), "info")
    return redirect(url_for("video.room", session_id=session.id))


@bp.route("/sessions/<int:session_id>/minutes", methods=["GET", "POST"])
def minutes_edit(session_id: int) -> Any:
    session = policy.get_or_404(MediationSession, session_id, "minutes.view")
    case = _case(session)
    can_write = policy.can(current_user, "session.minutes.write", session)
    if request.method == "POST":
        policy.authorize("session.minutes.write", session)
        text = request.form.get("body", "")
        try:
            saved = minutes_service.save_minutes(case, session, current_user, text,
                                                 submit=request.form.get("action") == "submit")
        except DomainError as exc:
            flash(str(exc.message), "error")
            return _render_minutes(session, case, can_write, draft_text=text), exc.status
        flash(_("Version %(n)d of the minutes is saved.", n=saved.version) if saved.status != "confirming"
              else _("Version %(n)d of the minutes is saved and the parties are asked to confirm it.",
                     n=saved.version), "info")
        return redirect(url_for("video.minutes_edit", session_id=session.id))
    return _render_minutes(session, case, can_write)


def _render_minutes(session: MediationSession, case: Case, can_write: bool,
                    draft_text: str | None = None) -> Any:
    versions = minutes_service.versions(case, session)
    latest = versions[0] if versions else None
    return render_template(
        "sessions/minutes.html", session=session, case=case, versions=versions, latest=latest,
        can_write=can_write and session.status in minutes_service.WRITABLE_SESSION_STATUSES,
        text=draft_text if draft_text is not None else (latest.body if latest else ""),
        states=minutes_service.party_confirmations(latest) if latest else [],
        can_confirm=_can_confirm(latest))


def _can_confirm(minutes: Minutes | None) -> bool:
    return (minutes is not None and minutes.status == minutes_service.CONFIRMING
            and policy.can(current_user, "minutes.confirm", minutes)
            and current_user.id not in minutes_service.confirmations(minutes))


@bp.get("/minutes/<int:minutes_id>")
def minutes_show(minutes_id: int) -> Any:
    minutes = policy.get_or_404(Minutes, minutes_id, "minutes.view")
    case = _case(minutes)
    session = db.session.get(MediationSession, minutes.session_id) if minutes.session_id else None
    return render_template("sessions/minutes_version.html", minutes=minutes, case=case, session=session,
                           states=minutes_service.party_confirmations(minutes),
                           can_confirm=_can_confirm(minutes), viewed_at=now())


@bp.post("/minutes/<int:minutes_id>/confirm")
def minutes_confirm(minutes_id: int) -> Any:
    minutes = policy.get_or_404(Minutes, minutes_id, "minutes.confirm")
    try:
        done = minutes_service.confirm_minutes(minutes, current_user)
    except DomainError as exc:
        flash(str(exc.message), "error")
    else:
        flash(_("You confirmed version %(n)d of the minutes.", n=done.version) if done.status != "confirmed"
              else _("Every party has confirmed the minutes; they are now fixed."), "info")
    return redirect(url_for("video.minutes_show", minutes_id=minutes.id))
