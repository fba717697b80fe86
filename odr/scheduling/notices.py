"""What people are told when sessions are proposed, booked, moved or cancelled.

Texts are rendered in each recipient's language and time zone (stored messages are read
later, outside any request). Booked, moved and cancelled sessions carry the .ics file
(REQUEST with a higher SEQUENCE, or CANCEL) so calendars follow along.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from odr.accounts.models import User
from odr.core.time import local
from odr.extensions import db
from odr.notifications.services import notify
from odr.notifications.templating import render_notice
from odr.scheduling.ics import ics_attachment


def _zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def when(session: Any, user: User) -> str:
    zone = _zone(user)
    start, end = local(session.starts_at, zone), local(session.ends_at, zone)
    return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} ({zone.key})"


def _each(session: Any, exclude: Any = None) -> list[User]:
    users = [db.session.get(User, a.user_id) for a in session.attendees]
    return [u for u in users if u is not None and (exclude is None or u.id != getattr(exclude, "id", None))]


def _locale(user: User) -> str:
    return user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")


def tell_proposed(case: Any, sessions: list[Any], actor: Any) -> None:
    number = case.number or f"#{case.id}"
    for user in _each(sessions[0], exclude=actor):
        with force_locale(_locale(user)):
            title = _("Case %(number)s: please choose a session time", number=number)
            body = render_notice("session_proposed", times=[when(s, user) for s in sessions])
        notify(user, "session_proposed", title, body, f"/cases/{case.id}", case=case,
               key=f"session-proposed:{sessions[0].proposal_group}:user:{user.id}", channels=("inbox", "email"))


def tell_booked(session: Any, case: Any) -> None:
    number = case.number or f"#{case.id}"
    attachment = ics_attachment(session, case, "REQUEST")
    for user in _each(session):
        with force_locale(_locale(user)):
            title = _("Case %(number)s: session booked for %(when)s", number=number, when=when(session, user))
            body = render_notice("session_booked", session=session, case=case)
        notify(user, "session_booked", title, body, f"/cases/{case.id}", case=case, legal=True,
               key=f"session-booked:{session.id}:seq:{session.sequence}:user:{user.id}",
               attachments=[attachment], channels=("inbox", "email", "sms"))


def tell_rescheduled(session: Any, case: Any, actor: Any, reason: str) -> None:
    number = case.number or f"#{case.id}"
    attachment = ics_attachment(session, case, "REQUEST")
    for user in _each(session):
        with force_locale(_locale(user)):
            title = _("Case %(number)s: session moved to %(when)s", number=number, when=when(session, user))
            body = render_notice("session_rescheduled", reason=reason)
        notify(user, "session_rescheduled", title, body, f"/cases/{case.id}", case=case, legal=True,
               key=f"session-moved:{session.id}:seq:{session.sequence}:user:{user.id}",
               attachments=[attachment], channels=("inbox", "email", "sms"))


def tell_cancelled(session: Any, case: Any, actor: Any, reason: str, was_booked: bool) -> None:
    number = case.number or f"#{case.id}"
    attachment = ics_attachment(session, case, "CANCEL") if was_booked else None
    for user in _each(session, exclude=None if was_booked else actor):
        with force_locale(_locale(user)):
            title = _("Case %(number)s: session on %(when)s cancelled", number=number, when=when(session, user))
            body = render_notice("session_cancelled", reason=reason, was_booked=was_booked)
        notify(user, "session_cancelled", title, body, f"/cases/{case.id}", case=case, legal=was_booked,
               key=f"session-cancelled:{session.id}:seq:{session.sequence}:user:{user.id}",
               attachments=[attachment] if attachment else None,
               channels=("inbox", "email", "sms") if was_booked else ("inbox",))
