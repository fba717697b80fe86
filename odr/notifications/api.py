"""GET /notifications (the caller's inbox), POST /notifications/{id}/read, GET /outbox."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_login import current_user
from sqlalchemy import select

from odr.accounts import policy
from odr.api.conventions import page, paging_query, require_user
from odr.api.registry import endpoint
from odr.api.schema import Bool, Str
from odr.core.errors import NotFound
from odr.core.time import iso
from odr.extensions import db
from odr.notifications import services
from odr.notifications.models import Notification, OutboxMessage

NOTIFICATION_OUT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string"}, "title": {"type": "string"},
    "body": {"type": "string"}, "link": {"type": ["string", "null"]},
    "case_id": {"type": ["integer", "null"]}, "read_at": {"type": ["string", "null"]},
    "created_at": {"type": "string"}}}
OUTBOX_OUT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "channel": {"type": "string"}, "to": {"type": "string"},
    "subject": {"type": "string"}, "body": {"type": "string"}, "status": {"type": "string"},
    "attempts": {"type": "integer"}, "last_error": {"type": ["string", "null"]},
    "sent_at": {"type": ["string", "null"]}, "created_at": {"type": "string"}}}


def _list_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"items": {"type": "array", "items": item},
                                             "total": {"type": "integer"}}}


def notification_json(n: Notification) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "link": n.link,
            "case_id": n.case_id, "read_at": iso(n.read_at), "created_at": iso(n.created_at)}


def outbox_json(m: OutboxMessage) -> dict[str, Any]:
    return {"id": m.id, "channel": m.channel, "to": m.recipient, "subject": m.subject, "body": m.body,
            "status": m.status, "attempts": m.attempts, "last_error": m.last_error,
            "sent_at": iso(m.sent_at), "created_at": iso(m.created_at)}


@endpoint("/notifications", summary="The caller's inbox, newest first",
          query=paging_query(unread=Bool(required=False, default=False)),
          response=_list_of(NOTIFICATION_OUT))
def notifications_list(query: dict[str, Any]) -> Any:
    policy.authorize("notifications.view")
    user = require_user()
    resp = page(services.inbox_query(user, bool(query.get("unread"))), query, notification_json)
    resp.headers["X-Unread-Count"] = str(services.unread_count(user))
    return resp


@endpoint("/notifications/<int:notification_id>/read", "POST", summary="Mark one notice read",
          response=NOTIFICATION_OUT)
def notifications_read(notification_id: int) -> Any:
    policy.authorize("notifications.view")
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != current_user.id:
        raise NotFound()
    return jsonify(notification_json(services.mark_read(row)))


@endpoint("/outbox", summary="Messages handed to the e-mail and SMS channels, newest first",
          query=paging_query(status=Str(required=False, enum=("pending", "sent", "failed", "missed",
                                                               "cancelled")),
                             channel=Str(required=False, max_len=16)),
          response=_list_of(OUTBOX_OUT))
def outbox_list(query: dict[str, Any]) -> Any:
    policy.authorize("outbox.view")
    q = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if query.get("status"):
        q = q.where(OutboxMessage.status == query["status"])
    if query.get("channel"):
        q = q.where(OutboxMessage.channel == query["channel"])
    return page(q, query, outbox_json)
