"""Telling people about their case, through the notifications room.

cases is upstream of notifications in the room order, but notifications is "called,
never calls back" (DESIGN.md), so calling its service is allowed. The service is
written by another engineer; until it exists, messages are only audited by the caller.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, has_app_context

from odr.cases.models import Case, CaseParty

log = logging.getLogger("odr.cases")


def _notify() -> Any:
    try:
        from odr.notifications.services import notify
    except ImportError:
        return None
    return notify


def case_link(case: Case) -> str:
    return f"/cases/{case.id}"


def public_url(path: str) -> str:
    base = current_app.config.get("PUBLIC_URL", "") if has_app_context() else ""
    return base.rstrip("/") + path


def tell_user(user: Any, kind: str, title: str, body: str, *, case: Case | None = None,
              link: str | None = None, key: str | None = None, legal: bool = False) -> None:
    notify = _notify()
    if notify is None or user is None:
        return
    notify(user, kind, title, body, link=link, case=case, key=key, legal=legal)


def tell_party(party: CaseParty, kind: str, title: str, body: str, *, link: str | None = None,
               key: str | None = None, legal: bool = False) -> None:
    """A party with an account gets it in the inbox (and its channels); one without an
    account is reached at the phone and e-mail given in the application."""
    notify = _notify()
    if notify is None:
        return
    if party.user is not None:
        notify(party.user, kind, title, body, link=link, case=party.case, key=key, legal=legal)
    elif party.phone or party.email:
        notify(None, kind, title, body, link=link, case=party.case, email=party.email,
               phone=party.phone, key=key, legal=legal)


def tell_applicants(case: Case, kind: str, title: str, body: str, *, key: str | None = None) -> None:
    for party in case.applicants():
        tell_party(party, kind, title, body, link=case_link(case),
                   key=f"{key}:party:{party.id}" if key else None)
