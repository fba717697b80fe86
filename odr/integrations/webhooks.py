"""Case events to integrations' webhooks: enqueued in the outbox, sent signed, retried.

Receivers connect to odr.core.signals and run inside the sender's transaction: they only
add OutboxMessage rows (channel "webhook"). The notifications dispatcher sends them
through ``send_webhook`` (registered as the "webhook" channel) with its retry and backoff.

Signature: header ``X-ODR-Signature: t=<unix seconds>,v1=<hex>`` where hex is
HMAC-SHA256(secret, f"{t}.{body}"); receivers recompute it and reject old timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import requests
from sqlalchemy import select

from odr.accounts import policy
from odr.cases.models import Case
from odr.core.time import iso, now
from odr.extensions import db
from odr.integrations.models import Integration, Webhook
from odr.notifications.channels import PermanentFailure
from odr.notifications.models import OutboxMessage

SIGNATURE_HEADER = "X-ODR-Signature"


def sign(secret: str, timestamp: str, body: str) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()


def verify(secret: str, header: str, body: str, tolerance: int = 300) -> bool:
    """What a receiver does: check the signature and that the timestamp is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    ts, sig = parts.get("t", ""), parts.get("v1", "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), sig)


def _subscribers(event: str, case: Case) -> list[Webhook]:
    hooks = db.session.execute(
        select(Webhook).join(Integration, Integration.id == Webhook.integration_id)
        .where(Webhook.active.is_(True), Integration.active.is_(True))).scalars().all()
    return [h for h in hooks if event in (h.events or [])
            and policy.can(h.integration.user, "case.view", case)]


def enqueue(event: str, case: Case, data: dict[str, Any]) -> int:
    """Queue one signed delivery per subscribed webhook that may see ``case``."""
    hooks = _subscribers(event, case)
    event_id = uuid.uuid4().hex
    payload = {"id": event_id, "type": event, "created_at": iso(now()),
               "data": {"case_id": case.id, "case_number": case.number, "case_status": case.status, **data}}
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    for hook in hooks:
        db.session.add(OutboxMessage(key=f"webhook:{hook.id}:{event_id}", channel="webhook",
                                     recipient=hook.url, subject=event, body=body,
                                     extra={"webhook_id": hook.id, "event_id": event_id}, case_id=case.id))
    return len(hooks)


def on_status_changed(case: Case, before: str | None = None, after: str | None = None, **_: Any) -> None:
    enqueue("case.status_changed", case, {"before": before, "after": after})


def on_document_issued(document: Any, case: Case | None = None, **_: Any) -> None:
    case = case or db.session.get(Case, getattr(document, "case_id", None))
    if case is not None:
        enqueue("document.issued", case, {"document_id": document.id, "kind": getattr(document, "kind", None),
                                          "number": getattr(document, "number", None)})


def on_ruling_issued(confirmation: Any, decision: str | None = None, **_: Any) -> None:
    case = db.session.get(Case, confirmation.case_id)
    if case is not None:
        enqueue("ruling.issued", case, {"confirmation_id": confirmation.id, "decision": decision,
                                        "ruling_number": getattr(confirmation, "ruling_number", None)})


def send_webhook(msg: OutboxMessage) -> str:
    """Deliver one queued event; the response (status and start of the body) is kept."""
    hook = db.session.get(Webhook, (msg.extra or {}).get("webhook_id"))
    if hook is None or not hook.active:
        raise PermanentFailure("webhook removed or disabled")
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "odr-webhooks/1",
               "X-ODR-Event": msg.subject, "X-ODR-Delivery": str(msg.id), "X-ODR-Timestamp": ts,
               SIGNATURE_HEADER: f"t={ts},v1={sign(hook.secret, ts, msg.body)}"}
    resp = requests.post(hook.url, data=msg.body.encode(), headers=headers, timeout=10, allow_redirects=False)
    summary = f"{resp.status_code} {resp.text[:500]}"
    if 200 <= resp.status_code < 300:
        return summary
    if 400 <= resp.status_code < 500 and resp.status_code not in (408, 425, 429):
        raise PermanentFailure(summary)
    raise RuntimeError(summary)


def deliveries(hook: Webhook, limit: int = 50) -> list[OutboxMessage]:
    return list(db.session.execute(
        select(OutboxMessage).where(OutboxMessage.channel == "webhook", OutboxMessage.recipient == hook.url,
                                    OutboxMessage.key.like(f"webhook:{hook.id}:%"))
        .order_by(OutboxMessage.id.desc()).limit(limit)).scalars())
