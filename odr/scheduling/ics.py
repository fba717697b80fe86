"""iCalendar (RFC 5545) for a session: one stable UID, SEQUENCE for updates, METHOD:CANCEL.

Calendar programs match an update to the event they hold by UID and take it only if its
SEQUENCE is higher, so every reschedule or cancellation increments ``session.sequence``
before the file is built. Times are written in UTC (``...Z``), which every client shows
in its own zone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from odr.accounts.models import User
from odr.core.time import now
from odr.extensions import db


def session_uid(session: Any) -> str:
    host = urlsplit(current_app.config.get("PUBLIC_URL") or "http://localhost").hostname or "localhost"
    return f"odr-session-{session.id}@{host}"


def _address(user: User) -> vCalAddress:
    addr = vCalAddress(f"mailto:{user.email}" if user.email else f"urn:odr:user:{user.id}")
    addr.params["CN"] = vText(user.display_name)
    return addr


def build_ics(session: Any, case: Any, *, method: str = "REQUEST") -> bytes:
    """The session as a VCALENDAR; ``method`` "REQUEST" (new or updated) or "CANCEL"."""
    cal = Calendar()
    cal.add("prodid", "-//ODR online mediation//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", now())
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("sequence", session.sequence)
    number = case.number or f"#{case.id}"
    event.add("summary", f"Mediation session / 调解会议 {number}")
    public = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    event.add("url", f"{public}/cases/{case.id}")
    event.add("location", f"{public}/cases/{case.id}")
    if method == "CANCEL" or session.status == "cancelled":
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED" if session.status in ("booked", "live", "ended") else "TENTATIVE")
    users = {a.user_id: a for a in session.attendees}
    organizer = next((a for a in session.attendees if a.role == "mediator"), None)
    if organizer is not None:
        event.add("organizer", _address(db.session.get(User, organizer.user_id)))
    for user_id, att in users.items():
        user = db.session.get(User, user_id)
        addr = _address(user)
        addr.params["ROLE"] = vText("CHAIR" if att.role == "mediator" else "REQ-PARTICIPANT")
        addr.params["PARTSTAT"] = vText("ACCEPTED" if att.accepted_at or att.role == "mediator" else "NEEDS-ACTION")
        event.add("attendee", addr, encode=0)
    cal.add_component(event)
    return cal.to_ical()


def ics_attachment(session: Any, case: Any, method: str = "REQUEST") -> dict[str, str]:
    """An outbox attachment (text/calendar with the METHOD parameter mail clients expect)."""
    return {"filename": "session.ics", "content_type": "text/calendar", "method": method,
            "content": build_ics(session, case, method=method).decode()}
