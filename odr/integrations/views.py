"""Admin pages for integrations (endpoint ``api_admin.tokens``): accounts, tokens,
webhooks and their deliveries. Thin: parse the form, call a service, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from odr.accounts import policy
from odr.accounts.models import ApiToken
from odr.core.errors import BadInput, NotFound
from odr.extensions import db
from odr.integrations import services
from odr.integrations.models import Integration, Webhook
from odr.integrations.scopes import EVENTS, SCOPES
from odr.integrations.webhooks import deliveries
from odr.organizations.models import Court

bp = Blueprint("api_admin", __name__, url_prefix="/admin/integrations")


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@bp.route("/", methods=["GET", "POST"], endpoint="tokens")
def tokens() -> Any:
    policy.authorize("integration.manage")
    form: dict[str, Any] = {"name": "", "scopes": ["cases:read"], "court_id": None}
    errors: dict[str, str] = {}
    new_token = None
    if request.method == "POST":
        form = {"name": request.form.get("name", ""), "scopes": request.form.getlist("scopes"),
                "court_id": _int_or_none(request.form.get("court_id"))}
        try:
            integration, new_token = services.create_integration(actor=current_user, **form)
            flash(_("Integration created. Copy the token now: it is shown only once."), "info")
            return render_template("integrations/detail.html", **_detail(integration), new_token=new_token)
        except BadInput as exc:
            errors = {k: str(v) for k, v in exc.fields.items()}
            flash(str(exc.message), "error")
    rows = db.session.execute(select(Integration).order_by(Integration.id.desc())).scalars().all()
    courts = db.session.execute(select(Court).order_by(Court.name)).scalars().all()
    return render_template("integrations/list.html", integrations=rows, courts=courts, scopes=SCOPES,
                           form=form, errors=errors), 400 if errors else 200


def _detail(integration: Integration) -> dict[str, Any]:
    hooks = db.session.execute(select(Webhook).where(Webhook.integration_id == integration.id)
                               .order_by(Webhook.id)).scalars().all()
    return {"integration": integration, "tokens": services.tokens_of(integration), "hooks": hooks,
            "deliveries": {h.id: deliveries(h) for h in hooks}, "scopes": SCOPES, "events": EVENTS,
            "court": db.session.get(Court, integration.court_id) if integration.court_id else None}


def _integration(integration_id: int) -> Integration:
    integration = db.session.get(Integration, integration_id)
    if integration is None:
        raise NotFound()
    return integration


@bp.get("/<int:integration_id>", endpoint="detail")
def detail(integration_id: int) -> Any:
    policy.authorize("integration.manage")
    return render_template("integrations/detail.html", **_detail(_integration(integration_id)))


@bp.post("/<int:integration_id>/tokens", endpoint="new_token")
def new_token(integration_id: int) -> Any:
    policy.authorize("integration.manage")
    integration = _integration(integration_id)
    try:
        raw = services.new_token(integration, request.form.getlist("scopes"), current_user)
    except BadInput as exc:
        flash(str(exc.message), "error")
        return render_template("integrations/detail.html", **_detail(integration)), 400
    flash(_("Token issued. Copy it now: it is shown only once."), "info")
    return render_template("integrations/detail.html", **_detail(integration), new_token=raw)


@bp.post("/<int:integration_id>/tokens/<int:token_id>/revoke", endpoint="revoke")
def revoke(integration_id: int, token_id: int) -> Any:
    integration = _integration(integration_id)
    token = policy.get_or_404(ApiToken, token_id, "integration.manage")
    if token.user_id != integration.user_id:
        raise NotFound()
    services.revoke(token, current_user)
    flash(_("The token is revoked."), "info")
    return redirect(url_for("api_admin.detail", integration_id=integration.id))


@bp.post("/<int:integration_id>/webhooks", endpoint="add_webhook")
def add_webhook(integration_id: int) -> Any:
    policy.authorize("integration.manage")
    integration = _integration(integration_id)
    url, events = request.form.get("url", ""), request.form.getlist("events")
    try:
        services.add_webhook(integration, url, events, current_user)
    except BadInput as exc:
        flash(str(exc.message), "error")
        return render_template("integrations/detail.html", **_detail(integration), hook_form={
            "url": url, "events": events}, hook_errors={k: str(v) for k, v in exc.fields.items()}), 400
    flash(_("Webhook added."), "info")
    return redirect(url_for("api_admin.detail", integration_id=integration.id))


@bp.post("/<int:integration_id>/webhooks/<int:hook_id>/disable", endpoint="disable_webhook")
def disable_webhook(integration_id: int, hook_id: int) -> Any:
    policy.authorize("integration.manage")
    integration = _integration(integration_id)
    services.disable_webhook(services.webhook_of(integration, hook_id), current_user)
    flash(_("Webhook disabled."), "info")
    return redirect(url_for("api_admin.detail", integration_id=integration.id))
