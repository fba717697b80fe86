"""Integrations room: named API tokens with scopes for other systems, and webhooks.

init_app connects the case signals to the webhook queue, registers the "webhook" outbox
channel, audits every request made with an integration token, and marks cases created
through one as coming from the API channel.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event


def _api_source(_mapper: Any, _conn: Any, target: Any) -> None:
    """Cases filed with an integration token count as the API channel (source "api")."""
    if has_request_context():
        token = g.get("api_token")
        if token is not None and token.kind == "integration":
            target.source = "api"


def init_app(app: Flask) -> None:
    from odr.api.conventions import prefer_bearer
    from odr.cases.models import Case
    from odr.core.signals import case_status_changed, document_issued, ruling_issued
    from odr.integrations import models  # noqa: F401
    from odr.integrations.services import note_token_use
    from odr.integrations.webhooks import on_document_issued, on_ruling_issued, on_status_changed, send_webhook
    from odr.notifications.channels import register_sender

    register_sender("webhook", send_webhook)
    case_status_changed.connect(on_status_changed, weak=False)
    document_issued.connect(on_document_issued, weak=False)
    ruling_issued.connect(on_ruling_issued, weak=False)
    if not event.contains(Case, "before_insert", _api_source):
        event.listen(Case, "before_insert", _api_source)

    @app.before_request
    def _audit_integration_use() -> None:
        if request.blueprint != "api" or not request.headers.get("Authorization"):
            return
        prefer_bearer()
        if current_user.is_authenticated:
            token = g.get("api_token")
            if token is not None and token.kind == "integration":
                note_token_use(token, request.method, request.path)
