"""Writes of the integrations room: accounts, tokens, webhooks, and the audit of every use."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.accounts.models import ApiToken, Role
from odr.accounts.services import create_user, issue_token, revoke_token
from odr.audit.services import record
from odr.core.errors import BadInput, Conflict, NotFound
from odr.core.time import now
from odr.extensions import db
from odr.integrations.models import Integration, Webhook
from odr.integrations.scopes import EVENTS, SCOPES
from odr.organizations.models import Court


def _check_scopes(scopes: list[str], court_id: int | None) -> list[str]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise BadInput(_l("Unknown scope."), fields={"scopes": ", ".join(unknown)})
    if "cases:create_diversion" in scopes and court_id is None:
        raise BadInput(_l("Diverting cases needs a court."), fields={"court_id": _l("Choose the court.")})
    return sorted(set(scopes))


def create_integration(*, name: str, scopes: list[str], court_id: int | None, actor: Any) -> tuple[Integration, str]:
    """A new integration with its service account and first token. Returns (row, raw token).

    With a court, the service account is that court's clerk-like account (it may divert
    cases of that court only); without, it files cases like a party through the API channel.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise BadInput(_l("Give the integration a name."), fields={"name": _l("This field is required.")})
    if court_id is not None and db.session.get(Court, court_id) is None:
        raise BadInput(_l("No such court."), fields={"court_id": _l("No such court.")})
    scopes = _check_scopes(scopes, court_id)
    user = create_user(username=f"integration-{secrets.token_hex(6)}", password=secrets.token_urlsafe(24),
                       display_name=name, role=Role.CLERK if court_id else Role.PARTY,
                       court_id=court_id, actor=actor)
    integration = Integration(name=name, user_id=user.id, court_id=court_id,
                              created_by_id=getattr(actor, "id", None))
    db.session.add(integration)
    db.session.flush()
    record("integration.create", integration, actor=actor,
           after={"name": name, "court_id": court_id, "scopes": scopes})
    raw, _token = issue_token(user, kind="integration", name=name, scopes=scopes, court_id=court_id, actor=actor)
    return integration, raw


def new_token(integration: Integration, scopes: list[str], actor: Any) -> str:
    """Another token for the same integration (rotate, then revoke the old one)."""
    scopes = _check_scopes(scopes, integration.court_id)
    raw, _token = issue_token(integration.user, kind="integration", name=integration.name, scopes=scopes,
                              court_id=integration.court_id, actor=actor)
    return raw


def tokens_of(integration: Integration) -> list[ApiToken]:
    return list(db.session.execute(select(ApiToken).where(
        ApiToken.user_id == integration.user_id, ApiToken.kind == "integration")
        .order_by(ApiToken.id.desc())).scalars())


def revoke(token: ApiToken, actor: Any) -> None:
    revoke_token(token, actor)


def note_token_use(token: ApiToken, method: str, path: str) -> None:
    """Audit one request made with an integration token (its own small transaction)."""
    token.last_used_at = now()
    record("token.use", token, after={"method": method, "path": path[:300]})
    db.session.commit()


def integration_for_user(user_id: int) -> Integration | None:
    return db.session.execute(select(Integration).where(Integration.user_id == user_id)).scalar_one_or_none()


def _check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise BadInput(_l("Give an http:// or https:// URL."), fields={"url": _l("Has the wrong format.")})
    return url


def add_webhook(integration: Integration, url: str, events: list[str], actor: Any) -> Webhook:
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise BadInput(_l("Choose the events to send."), fields={"events": ", ".join(unknown) or str(_l("This field is required."))})
    hook = Webhook(integration_id=integration.id, url=_check_url(url), secret=secrets.token_hex(24),
                   events=sorted(set(events)))
    db.session.add(hook)
    db.session.flush()
    record("webhook.create", hook, actor=actor, after={"url": hook.url, "events": hook.events,
                                                      "integration_id": integration.id})
    db.session.commit()
    return hook


def disable_webhook(hook: Webhook, actor: Any) -> None:
    if not hook.active:
        raise Conflict(_l("This webhook is already disabled."))
    hook.active, hook.disabled_at = False, now()
    record("webhook.disable", hook, actor=actor)
    db.session.commit()


def webhook_of(integration: Integration, hook_id: int) -> Webhook:
    hook = db.session.get(Webhook, hook_id)
    if hook is None or hook.integration_id != integration.id:
        raise NotFound()
    return hook
