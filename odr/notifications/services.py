"""Telling people things: inbox rows, outbox messages and delivery records (送达).

``notify`` runs inside the caller's transaction and never commits: a notice about a
status change is stored with the change or not at all. What leaves the machine (e-mail,
SMS, webhooks) is only *enqueued* here, as an ``OutboxMessage`` with a unique key; the
scheduler's sweep (``odr.notifications.dispatch``) sends it later, so a retried request,
a restarted scheduler or two schedulers never send the same logical message twice.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update

from odr.core.time import now
from odr.extensions import db
from odr.notifications.models import Delivery, Notification, OutboxMessage

SMS_MAX_CHARS = 300


@dataclass
class NotifyResult:
    """What one ``notify`` call stored (existing rows when the key was seen before)."""

    notification: Notification | None = None
    messages: list[OutboxMessage] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


# ---------------------------------------------------------------- idempotent inserts

def _insert_once(model: Any, values: dict[str, Any]) -> Any:
    """INSERT … ON CONFLICT (key) DO NOTHING, then load the row by key.

    A plain add() would raise IntegrityError on a repeated key and poison the caller's
    transaction; the conflict clause keeps the transaction usable on both databases.
    """
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    values = {"created_at": now(), **values}
    db.session.flush()
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    return db.session.execute(select(model).where(model.key == values["key"])).scalar_one()


def enqueue(channel: str, recipient: str, subject: str, body: str, *, key: str | None = None,
            case_id: int | None = None, user_id: int | None = None,
            extra: dict[str, Any] | None = None, not_before: datetime | None = None) -> OutboxMessage:
    """Put one message in the outbox (once per key). Other rooms use this for webhooks.

    A message due now wakes the leading scheduler when the transaction commits, so it
    leaves within moments rather than at the next sweep tick."""
    from odr.notifications.dispatch import wake_scheduler

    if not_before is None or not_before <= now():
        wake_scheduler()
    return _insert_once(OutboxMessage, {
        "key": key or f"adhoc:{uuid.uuid4()}",
        "channel": channel,
        "recipient": recipient[:500],
        "subject": subject[:300],
        "body": body,
        "extra": extra or {},
        "case_id": case_id,
        "user_id": user_id,
        "status": "pending",
        "attempts": 0,
        "not_before": not_before,
        "next_attempt_at": not_before,
    })


def absolute_url(path: str | None) -> str | None:
    """Links in e-mail and SMS must work outside the browser session: prefix PUBLIC_URL."""
    if not path:
        return None
    if path.startswith(("http://", "https://")):
        return path
    return current_app.config["PUBLIC_URL"].rstrip("/") + "/" + path.lstrip("/")


# ---------------------------------------------------------------- notify

def notify(user: Any, kind: str, title: str, body: str, link: str | None = None, *,
           case: Any = None, email: str | None = None, phone: str | None = None,
           key: str | None = None, legal: bool = False, what: str | None = None,
           document_id: int | None = None, attachments: list[dict[str, str]] | None = None,
           channels: tuple[str, ...] = ("inbox", "email", "sms"),
           recipient_name: str | None = None) -> NotifyResult:
    """Tell one person: inbox row (if ``user``), e-mail and SMS (if an address is known).

    ``key`` names the logical message; calling again with the same key stores nothing new.
    ``legal=True`` records a Delivery per channel on ``case`` (what, to whom, channel,
    sent, opened). Runs in the caller's transaction; flushes, never commits.
    """
    base = key or f"{kind}:{uuid.uuid4()}"
    title, body = str(title), str(body)
    case_id = getattr(case, "id", None)
    result = NotifyResult()
    email = email if email is not None else getattr(user, "email", None)
    phone = phone if phone is not None else getattr(user, "phone", None)
    name = recipient_name or getattr(user, "display_name", None) or email or phone or "?"
    what = what or title

    if user is not None and "inbox" in channels:
        result.notification = _insert_once(Notification, {
            "key": f"{base}:inbox:{user.id}", "user_id": user.id, "case_id": case_id, "kind": kind,
            "title": title[:200], "body": body, "link": link})
        if legal and case_id is not None:
            result.deliveries.append(_delivery(case_id, user, name, what, "inbox", document_id,
                                               notification_id=result.notification.id, sent=True))

    token = secrets.token_urlsafe(24) if legal and case_id is not None else None
    mail_link = absolute_url(f"/d/{token}") if token else absolute_url(link)
    if email and "email" in channels:
        text = body + (f"\n\n{mail_link}" if mail_link else "")
        extra: dict[str, Any] = {"kind": kind, "link": link, "url": mail_link}
        if attachments:
            extra["attachments"] = attachments
        msg = enqueue("email", email, title, text, key=f"{base}:email:{email}", case_id=case_id,
                      user_id=getattr(user, "id", None), extra=extra)
        result.messages.append(msg)
        if legal and case_id is not None:
            result.deliveries.append(_delivery(case_id, user, name, what, "email", document_id,
                                               outbox_id=msg.id, token=token))
    if phone and "sms" in channels:
        # An SMS carries its own tracked link (its own delivery record), and the link is
        # never cut by the length limit: the text is shortened instead.
        sms_token = secrets.token_urlsafe(24) if legal and case_id is not None else None
        sms_link = absolute_url(f"/d/{sms_token}") if sms_token else absolute_url(link)
        text = sms_text(title, body, sms_link, absolute_url(link))
        msg = enqueue("sms", phone, "", text, key=f"{base}:sms:{phone}", case_id=case_id,
                      user_id=getattr(user, "id", None), extra={"kind": kind, "link": link, "url": sms_link})
        result.messages.append(msg)
        if legal and case_id is not None:
            result.deliveries.append(_delivery(case_id, user, name, what, "sms", document_id,
                                               outbox_id=msg.id, token=sms_token))
    db.session.flush()
    return result


def sms_text(title: str, body: str, link: str | None, plain_link: str | None = None) -> str:
    """``title: body`` shortened to fit one message with the whole link at the end.

    A body that already spells out the plain link (an invitation) has it removed first, so
    the link appears once and whole."""
    if plain_link:
        body = body.replace(plain_link, "").replace("：。", "。").strip()
    tail = f" {link}" if link else ""
    room = max(SMS_MAX_CHARS - len(tail), 20)
    text = f"{title}: {body}".strip()
    if len(text) > room:
        text = text[: room - 1] + "…"
    return text + tail


def _delivery(case_id: int, user: Any, name: str, what: str, channel: str, document_id: int | None,
              *, outbox_id: int | None = None, notification_id: int | None = None,
              token: str | None = None, sent: bool = False) -> Delivery:
    """One delivery record per (outbox message | inbox row): a repeated notify reuses it."""
    existing = None
    if outbox_id is not None:
        existing = db.session.execute(select(Delivery).where(Delivery.outbox_id == outbox_id)).scalar_one_or_none()
    elif notification_id is not None:
        existing = db.session.execute(
            select(Delivery).where(Delivery.notification_id == notification_id)).scalar_one_or_none()
    if existing is not None:
        return existing
    row = Delivery(case_id=case_id, recipient_id=getattr(user, "id", None), recipient_name=name[:120],
                   what=what[:200], document_id=document_id, channel=channel, outbox_id=outbox_id,
                   notification_id=notification_id, token=token, sent_at=now() if sent else None,
                   attempts=1 if sent else 0)
    db.session.add(row)
    return row


def case_people(case: Any, *, include_mediator: bool = True) -> list[tuple[Any, str | None, str | None, str]]:
    """Everyone on a case as (user or None, email, phone, name): parties (with or without
    an account yet), their agents, and the mediator."""
    from odr.accounts.models import User

    people: list[tuple[Any, str | None, str | None, str]] = []
    seen: set[Any] = set()
    for party in case.parties:
        user = db.session.get(User, party.user_id) if party.user_id else None
        ident = ("u", user.id) if user else ("p", party.id)
        if ident in seen:
            continue
        seen.add(ident)
        people.append((user, (user.email if user and user.email else party.email),
                       (user.phone if user and user.phone else party.phone), party.name))
    for agent in case.agents:
        if agent.user_id and ("u", agent.user_id) not in seen:
            user = db.session.get(User, agent.user_id)
            seen.add(("u", agent.user_id))
            people.append((user, user.email, user.phone or agent.phone, agent.name))
    if include_mediator and case.mediator_id and ("u", case.mediator_id) not in seen:
        mediator = db.session.get(User, case.mediator_id)
        people.append((mediator, mediator.email, mediator.phone, mediator.display_name))
    return people


def notify_case_parties(case: Any, kind: str, title: str, body: str, link: str | None = None, *,
                        key: str | None = None, legal: bool = False, include_mediator: bool = True,
                        exclude: Any = None, **kw: Any) -> list[NotifyResult]:
    """``notify`` everyone on ``case`` (see ``case_people``); ``exclude`` is a user to skip
    (usually the actor, who knows already)."""
    base = key or f"{kind}:case:{case.id}:{uuid.uuid4()}"
    link = link or f"/cases/{case.id}"
    results = []
    for user, email, phone, name in case_people(case, include_mediator=include_mediator):
        if exclude is not None and user is not None and user.id == getattr(exclude, "id", None):
            continue
        who = f"user:{user.id}" if user is not None else f"addr:{email or phone or name}"
        results.append(notify(user, kind, title, body, link, case=case, email=email or "",
                              phone=phone or "", key=f"{base}:{who}", legal=legal,
                              recipient_name=name, **kw))
    return results


# ---------------------------------------------------------------- reading

def unread_count(user: Any) -> int:
    return db.session.execute(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))).scalar_one()


def inbox_query(user: Any, unread_only: bool = False) -> Any:
    q = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    return q.order_by(Notification.id.desc())


def mark_read(notification: Notification) -> Notification:
    """Reading an inbox row is the moment a legal notice served through the inbox was opened."""
    moment = now()
    if notification.read_at is None:
        notification.read_at = moment
    db.session.execute(update(Delivery).where(Delivery.notification_id == notification.id,
                                              Delivery.opened_at.is_(None)).values(opened_at=moment))
    db.session.commit()
    return notification


def mark_all_read(user: Any) -> int:
    moment = now()
    ids = select(Notification.id).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    db.session.execute(update(Delivery).where(Delivery.notification_id.in_(ids),
                                              Delivery.opened_at.is_(None)).values(opened_at=moment))
    count = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=moment)).rowcount
    db.session.commit()
    return count


def open_delivery(token: str) -> Delivery | None:
    """A click on the link in an e-mail or SMS: the notice reached its recipient."""
    row = db.session.execute(select(Delivery).where(Delivery.token == token)).scalar_one_or_none()
    if row is None:
        return None
    if row.opened_at is None:
        row.opened_at = now()
        db.session.commit()
    return row


def deliveries_for_case(case_id: int) -> list[Delivery]:
    return list(db.session.execute(select(Delivery).where(Delivery.case_id == case_id)
                                   .order_by(Delivery.id)).scalars())
