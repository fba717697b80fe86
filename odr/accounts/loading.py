"""How a request finds its user: the session cookie, or an API bearer token."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_babel import lazy_gettext as _l

from odr.accounts.models import User
from odr.accounts.services import token_owner
from odr.extensions import db, login_manager


def init_login(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load(user_id: str) -> User | None:
        try:
            return db.session.get(User, int(user_id))
        except (TypeError, ValueError):
            return None

    @login_manager.request_loader
    def _from_bearer(req: Any) -> User | None:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        found = token_owner(header[7:].strip())
        if found is None:
            g.bad_bearer = True
            return None
        user, token = found
        g.api_token = token
        return user
