"""Wiring of the video room into the app: the Jinja globals its pages and the case page's
minutes panel (templates/cases/_panel_minutes.html) use.

Kept in one ``init_video(app)`` so the scheduling room's ``init_app`` needs one line, and
so the panel asks the policy for the current viewer rather than trusting the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from odr.accounts import policy
from odr.extensions import db
from odr.scheduling import minutes as minutes_service
from odr.scheduling.models import MediationSession, Minutes

SESSION_STATUS_LABELS = {"proposed": _l("Proposed"), "booked": _l("Booked"), "live": _l("In progress"),
                         "ended": _l("Ended"), "cancelled": _l("Cancelled")}
MINUTES_STATUS_LABELS = {"draft": _l("Draft"), "confirming": _l("Awaiting the parties' confirmation"),
                         "confirmed": _l("Confirmed by every party"), "superseded": _l("Replaced by a newer version")}
PANEL_SESSION_STATUSES = ("booked", "live", "ended")


@dataclass
class PanelRow:
    """One session on the case page: its room (if open to the viewer) and its minutes."""

    session: MediationSession
    minutes: Minutes | None
    can_confirm: bool
    can_write: bool


def case_minutes_panel(case: Any) -> list[PanelRow]:
    """Booked, running and finished sessions with their latest minutes the viewer may read."""
    if case is None or not policy.can(current_user, "minutes.view", case):
        return []
    sessions = db.session.execute(select(MediationSession).where(
        MediationSession.case_id == case.id, MediationSession.status.in_(PANEL_SESSION_STATUSES))
        .order_by(MediationSession.starts_at)).scalars().all()
    rows = []
    for session in sessions:
        # per session: a hearing's record is the court's to write, a mediation's the mediator's
        can_write = _can_write(session)
        latest = minutes_service.current(case, session)
        if latest is not None and latest.status == minutes_service.DRAFT and not can_write:
            latest = None
        can_confirm = bool(latest is not None and latest.status == minutes_service.CONFIRMING
                           and policy.can(current_user, "minutes.confirm", latest)
                           and current_user.id not in minutes_service.confirmations(latest))
        rows.append(PanelRow(session, latest, can_confirm, can_write))
    return rows


def _can_write(obj: Any) -> bool:
    """May the viewer write the minutes of this session (or, given a case, the case's)?"""
    if obj is None:
        return False
    if isinstance(obj, MediationSession):
        return policy.can(current_user, "session.minutes.write", obj)
    return policy.can(current_user, "case.minutes.write", obj)


def init_video(app: Flask) -> None:
    """Register the video room's Jinja globals (called from odr.scheduling.init_app)."""
    app.jinja_env.globals["case_minutes_panel"] = case_minutes_panel
    app.jinja_env.globals["minutes_can_write"] = _can_write
    app.jinja_env.globals["session_status_label"] = lambda s: SESSION_STATUS_LABELS.get(s, s)
    app.jinja_env.globals["minutes_status_label"] = lambda s: MINUTES_STATUS_LABELS.get(s, s)
