"""Home page by role, language switch, health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from odr.accounts import policy
from odr.accounts.models import Role
from odr.extensions import db

bp = Blueprint("web", __name__)

ROLE_HOME = {
    Role.PARTY: "cases.my_cases",
    Role.MEDIATOR: "cases.my_cases",
    Role.ORG_ADMIN: "cases.intake_queue",
    Role.JUDGE: "confirmation.queue",
    Role.CLERK: "confirmation.queue",
    Role.ADMIN: "accounts.admin_home",
}


@bp.get("/")
def index() -> Any:
    policy.public()
    if current_user.is_authenticated:
        return render_template("home/dashboard.html", role=current_user.role,
                               home_endpoint=ROLE_HOME.get(current_user.role))
    return render_template("home/landing.html")


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    policy.public()
    if code in ("zh", "en"):
        session["lang"] = code
    target = request.args.get("next") or request.referrer or url_for("web.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("web.index")
    return redirect(target)


@bp.get("/healthz")
def healthz() -> Any:
    policy.public()
    try:
        db.session.execute(text("SELECT 1"))
        return jsonify({"status": "ok", "database": "ok"})
    except Exception as exc:  # noqa: BLE001 - report, never raise
        db.session.rollback()
        return jsonify({"status": "error", "database": str(exc.__class__.__name__)}), 503
