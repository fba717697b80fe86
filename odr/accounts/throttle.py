"""Login throttling keys: per client address AND account, plus a looser per-address cap.

Keying only by address would lock out everyone behind one government-intranet NAT after a
few typos; keying only by account would let one address try many accounts. Both limits
apply to the login form and to POST /api/v1/auth/token.
"""

from __future__ import annotations

from flask import current_app, request
from flask_limiter.util import get_remote_address


def _username() -> str:
    name = request.form.get("username") if request.form else None
    if name is None:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return str(name or "").strip().lower()[:64]


def address_and_account() -> str:
    return f"{get_remote_address()}|{_username()}"


def account_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def address_limit() -> str:
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]
