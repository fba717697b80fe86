"""Many routine notices at once: inbox rows and e-mails in one INSERT each.

``notify`` stores one person's notice with an INSERT and a SELECT per row and per
channel, which is right for a request that tells two or three people. The scheduler's
sweep turns hundreds of due reminders into notices at once; there the per-row round
trips and ORM work were a third of its CPU per reminder. ``notify_many`` writes the same
rows with the same keys (so ``notify`` and ``notify_many`` are interchangeable, and a
repeat of either stores nothing new) using ``INSERT … ON CONFLICT (key) DO NOTHING`` for
the whole batch. Only for notices without delivery records (not ``legal``): a legal
notice needs its per-channel Delivery and tracked link, which ``notify`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from odr.core.time import now
from odr.extensions import db
from odr.notifications.models import Notification, OutboxMessage
from odr.notifications.services import absolute_url


@dataclass
class Notice:
    """One person's notice, as ``notify(user, kind, title, body, link, case=…, key=key,
    channels=("inbox", "email"))`` would store it; ``extra`` is merged into the e-mail's."""

    user_id: int
    email: str | None
    kind: str
    title: str
    body: str
    link: str | None
    case_id: int | None
    key: str
    extra: dict[str, Any] = field(default_factory=dict)


def _insert(model: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model.__table__).on_conflict_do_nothing(index_elements=["key"])


def notify_many(notices: list[Notice]) -> None:
    """Store inbox rows and enqueue e-mails for ``notices``. Caller commits.

    Wakes the leading scheduler once (a no-op inside its own sweep, which sends what it
    enqueues in the same pass)."""
    if not notices:
        return
    from odr.notifications.dispatch import wake_scheduler

    moment = now()
    db.session.flush()
    db.session.execute(_insert(Notification), [
        {"key": f"{n.key}:inbox:{n.user_id}", "user_id": n.user_id, "case_id": n.case_id, "kind": n.kind,
         "title": n.title[:200], "body": n.body, "link": n.link, "created_at": moment} for n in notices])
    mails = []
    for n in notices:
        if not n.email:
            continue
        url = absolute_url(n.link)
        mails.append({
            "key": f"{n.key}:email:{n.email}", "channel": "email", "recipient": n.email[:500],
            "subject": n.title[:300], "body": n.body + (f"\n\n{url}" if url else ""),
            "extra": {"kind": n.kind, "link": n.link, "url": url, **n.extra}, "case_id": n.case_id,
            "user_id": n.user_id, "status": "pending", "attempts": 0, "not_before": None,
            "next_attempt_at": None, "created_at": moment})
    if mails:
        wake_scheduler()
        db.session.execute(_insert(OutboxMessage), mails)
