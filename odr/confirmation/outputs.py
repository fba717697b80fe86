"""Notices from the confirmation room, in the shape the notifications room expects.

A thin wrapper over ``odr.notifications.services.notify``: parties without an account
yet (an unclaimed respondent) are skipped, lazy strings are rendered in the writer's
language, and a served document is linked to its delivery records (送达). Runs in the
caller's transaction; never commits.
"""

from __future__ import annotations

from typing import Any

from odr.notifications.services import notify


def tell(user: Any, kind: str, title: Any, body: Any, *, case: Any, link: str | None = None,
         legal: bool = False, document: Any = None, key: str | None = None) -> Any:
    """Tell one person (inbox, and e-mail/SMS where known); ``legal`` records the service."""
    if user is None:
        return None
    return notify(user, kind, str(title), str(body), link, case=case, key=key, legal=legal,
                  document_id=getattr(document, "id", None))
