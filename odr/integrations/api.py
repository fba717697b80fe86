"""/webhooks: an integration registers URLs for case events and reads their deliveries.

Called with the integration's own token (scope "webhooks:manage", checked by the API
conventions); the platform admin manages the same on the admin pages.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from odr.accounts import policy
from odr.api.conventions import created, require_user
from odr.api.registry import endpoint
from odr.api.schema import List, Obj, Str
from odr.core.errors import Forbidden
from odr.core.time import iso
from odr.extensions import db
from odr.integrations import services
from odr.integrations.models import Integration, Webhook
from odr.integrations.scopes import EVENTS
from odr.integrations.webhooks import deliveries

WEBHOOK_OUT = {"type": "object", "required": ["id", "url", "events", "active", "secret"],
               "properties": {"id": {"type": "integer"}, "url": {"type": "string"},
                              "events": {"type": "array", "items": {"type": "string"}},
                              "active": {"type": "boolean"}, "secret": {"type": "string"},
                              "created_at": {"type": "string", "format": "date-time"}}}
DELIVERY_OUT = {"type": "object", "required": ["items", "total"], "properties": {
    "total": {"type": "integer"},
    "items": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "event": {"type": "string"}, "status": {"type": "string"},
        "attempts": {"type": "integer"}, "response": {"type": ["string", "null"]},
        "created_at": {"type": "string"}, "sent_at": {"type": ["string", "null"]}}}}}}


def _own_integration() -> Integration:
    user = require_user()
    integration = services.integration_for_user(user.id)
    if integration is None or not integration.active:
        raise Forbidden(_l("Only an integration's own token manages its webhooks."))
    return integration


def _hook_json(hook: Webhook) -> dict[str, Any]:
    return {"id": hook.id, "url": hook.url, "events": hook.events, "active": hook.active,
            "secret": hook.secret, "created_at": iso(hook.created_at)}


@endpoint("/webhooks", "POST", summary="Register a webhook for case events (integration tokens)", status=201,
          body=Obj({"url": Str(max_len=500, pattern=r"https?://\S+"),
                    "events": List(Str(enum=tuple(EVENTS)), min_items=1, max_items=len(EVENTS))}),
          response=WEBHOOK_OUT, errors=(400, 401, 403))
def webhooks_create(body: dict[str, Any]) -> Any:
    policy.authorize("account.use")
    hook = services.add_webhook(_own_integration(), body["url"], body["events"], current_user)
    return created(_hook_json(hook))


@endpoint("/webhooks", summary="The calling integration's webhooks",
          response={"type": "object", "required": ["items", "total"], "properties": {
              "items": {"type": "array", "items": WEBHOOK_OUT}, "total": {"type": "integer"}}},
          errors=(401, 403))
def webhooks_list() -> Any:
    policy.authorize("account.use")
    integration = _own_integration()
    hooks = db.session.query(Webhook).filter_by(integration_id=integration.id).order_by(Webhook.id).all()
    return jsonify({"items": [_hook_json(h) for h in hooks], "total": len(hooks)})


@endpoint("/webhooks/<int:hook_id>/deliveries", summary="Recent deliveries of one webhook, with responses",
          response=DELIVERY_OUT, errors=(401, 403, 404))
def webhooks_deliveries(hook_id: int) -> Any:
    policy.authorize("account.use")
    hook = services.webhook_of(_own_integration(), hook_id)
    items = [{"id": m.id, "event": m.subject, "status": m.status, "attempts": m.attempts,
              "response": m.response or m.last_error, "created_at": iso(m.created_at),
              "sent_at": iso(m.sent_at)} for m in deliveries(hook)]
    return jsonify({"items": items, "total": len(items)})
