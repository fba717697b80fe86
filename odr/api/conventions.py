"""API.md conventions: bearer or session auth, CSRF for cookie sessions, body limits, paging."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import Select, func, select

from odr.api.schema import Int, Obj
from odr.core.errors import BadInput, Forbidden, TooLarge, Unauthorized
from odr.extensions import csrf, db

PAGING = {"page": Int(required=False, minimum=1, maximum=100000, default=1),
          "per_page": Int(required=False, minimum=1, maximum=200, default=20)}


def paging_query(**more: Any) -> Obj:
    return Obj({**PAGING, **more})


def install(bp: Blueprint) -> None:
    if getattr(bp, "_odr_conventions", False):
        return
    bp._odr_conventions = True  # type: ignore[attr-defined]

    @bp.before_request
    def _before() -> None:
        prefer_bearer()
        authenticated = current_user.is_authenticated  # runs the bearer loader, which flags bad tokens
        if g.get("bad_bearer") and not authenticated:
            raise Unauthorized(_l("The token is invalid, expired or revoked."), code="invalid_token")
        if authenticated and integration_token() is not None:
            scope = required_scope(request.method, request.path)
            if scope is not None:
                require_scope(scope)
        length = request.content_length
        if (request.mimetype == "application/json" and length is not None
                and length > current_app.config["MAX_JSON_BYTES"]):
            raise TooLarge(_l("The request body is too large."))
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and current_user.is_authenticated \
                and g.get("api_token") is None:
            try:
                csrf.protect()
            except CSRFError:
                raise BadInput(_l("Missing or wrong CSRF token (send X-CSRFToken with browser sessions)."),
                               code="csrf_failed") from None


def prefer_bearer() -> None:
    """On the API a bearer token wins over the cookie session.

    Flask-Login asks the bearer loader only when the session yields nobody, and with
    strong session protection a stale anonymous cookie (a browser that saw a flash
    message, an API client keeping cookies) ends the lookup first: the token would be
    ignored and the caller told 401. Resolve the token first instead.
    """
    if g.get("_odr_bearer_checked"):
        return
    g._odr_bearer_checked = True
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return
    from odr.accounts.services import token_owner
    from odr.extensions import login_manager

    found = token_owner(header[7:].strip())
    if found is None:
        g.bad_bearer = True
        g._login_user = login_manager.anonymous_user()
        return
    g._login_user, g.api_token = found


def require_user() -> Any:
    if not current_user.is_authenticated:
        raise Unauthorized(_l("Log in or send a bearer token."))
    return current_user._get_current_object()


_UNSCOPED = {"auth", "openapi.json", "me"}
_WRITE_SCOPE = {"webhooks": "webhooks:manage"}


def required_scope(method: str, path: str) -> str | None:
    """The scope an integration token needs for this request, by convention.

    GET needs "<resource>:read"; POST to a collection ("/cases") needs "<resource>:create"
    ("cases:create_diversion" for a diversion); any other write "<resource>:write".
    Webhooks need "webhooks:manage". Endpoints may ask for more with require_scope.
    """
    parts = [p for p in path.split("/") if p][2:]  # after "api", "v1"
    if not parts or parts[0] in _UNSCOPED:
        return None
    resource = parts[0]
    if resource in _WRITE_SCOPE:
        return _WRITE_SCOPE[resource]
    if method in ("GET", "HEAD", "OPTIONS"):
        return f"{resource}:read"
    if len(parts) == 1 and method == "POST":
        body = request.get_json(silent=True) if request.is_json else None
        if resource == "cases" and isinstance(body, dict) and body.get("source") == "court_diversion":
            return "cases:create_diversion"
        return f"{resource}:create"
    return f"{resource}:write"


def require_scope(scope: str) -> None:
    """Refuse an integration token that lacks ``scope`` (e.g. "cases:create").

    Login tokens and browser sessions pass: their user's own permissions apply through
    the policy. An integration token carries only what its admin granted ("cases:*"
    grants every cases scope).
    """
    if not current_user.is_authenticated:  # also runs the bearer loader that sets g.api_token
        return
    token = g.get("api_token")
    if token is None or token.kind != "integration":
        return
    granted = set(token.scopes or [])
    if scope in granted or f"{scope.split(':', 1)[0]}:*" in granted:
        return
    raise Forbidden(_l("This token does not carry the scope %(scope)s.", scope=scope),
                    code="insufficient_scope")


def integration_token() -> Any:
    """The integration token of this request, or None (sessions, login tokens)."""
    if not current_user.is_authenticated:
        return None
    token = g.get("api_token")
    return token if token is not None and token.kind == "integration" else None


def page(query: Select, params: dict[str, Any], serialize: Any = None, *, serialize_all: Any = None) -> Any:
    """Run ``query`` one page at a time: ``{"items": [...], "total": N}``.

    ``serialize`` turns one row into JSON; ``serialize_all`` takes the whole page at once,
    for lists whose rows would otherwise each load their related objects separately.
    """
    page_no, per_page = params.get("page", 1), params.get("per_page", 20)
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(query.limit(per_page).offset((page_no - 1) * per_page)).scalars().all()
    items = serialize_all(list(rows)) if serialize_all is not None else [serialize(r) for r in rows]
    return jsonify({"items": items, "total": total})


def created(body: Any) -> Any:
    return jsonify(body), 201
