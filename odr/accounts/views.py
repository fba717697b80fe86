"""Login, logout, registration and the platform admin's home."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from sqlalchemy import func, select

from odr.accounts import policy, throttle
from odr.accounts.forms import EmptyForm, LoginForm, RegisterForm
from odr.accounts.models import Role, User
from odr.accounts.services import authenticate, note_login, register_party
from odr.core.errors import BadInput
from odr.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _start_session(user: User) -> None:
    """Log in with a fresh session (no fixation): keep only the language choice."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    session.permanent = False


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(throttle.account_limit, key_func=throttle.address_and_account, methods=["POST"])
@limiter.limit(throttle.address_limit, methods=["POST"])
def login() -> Any:
    policy.public()
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data or "", form.password.data or "")
        if user is None:
            flash(_("Wrong username or password."), "error")
        else:
            _start_session(user)
            note_login(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("web.index"))
    return render_template("accounts/login.html", form=form), 200


@bp.post("/logout")
def logout() -> Any:
    policy.public()
    form = EmptyForm()
    if form.validate_on_submit():
        lang = session.get("lang")
        logout_user()
        session.clear()
        if lang:
            session["lang"] = lang
        flash(_("You have logged out."), "info")
    return redirect(url_for("web.index"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    policy.public()
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = register_party({name: getattr(form, name).data for name in
                                   ("username", "password", "display_name", "id_number", "phone", "email")})
        except BadInput as exc:
            for name, message in exc.fields.items():
                if hasattr(form, name):
                    getattr(form, name).errors = [str(message)]
            flash(str(exc.message), "error")
            return render_template("accounts/register.html", form=form), 400
        _start_session(user)
        flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name), "success")
        return redirect(_safe_next(request.args.get("next")) or url_for("web.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/register.html", form=form), status


@bp.get("/admin")
def admin_home() -> Any:
    policy.authorize("admin.access")
    counts = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    return render_template("accounts/admin_home.html", counts=counts, roles=Role.ALL)
