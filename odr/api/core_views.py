"""/auth/token, /me and /users: the accounts part of the API."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import lazy_gettext as _l

from odr.accounts import policy, throttle
from odr.accounts.services import authenticate, issue_token, register_party
from odr.api.conventions import created, require_user
from odr.api.registry import endpoint
from odr.api.schema import Obj, Str
from odr.core.errors import Unauthorized
from odr.core.time import iso
from odr.extensions import limiter

USER_OUT = {"type": "object", "required": ["id", "username", "roles", "display_name"],
            "properties": {"id": {"type": "integer"}, "username": {"type": "string"},
                           "roles": {"type": "array", "items": {"type": "string"}},
                           "display_name": {"type": "string"}}}


def user_json(user: Any) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "roles": user.roles,
            "display_name": user.display_name, "role": user.role,
            "organization_id": user.organization_id, "court_id": user.court_id}


@endpoint("/auth/token", "POST", summary="Exchange a username and password for a bearer token",
          auth=False, body=Obj({"username": Str(max_len=64), "password": Str(max_len=128)}),
          response={"type": "object", "required": ["token", "expires_at"],
                    "properties": {"token": {"type": "string"}, "expires_at": {"type": ["string", "null"]}}},
          errors=(400, 401, 429))
@limiter.limit(throttle.account_limit, key_func=throttle.address_and_account)
@limiter.limit(throttle.address_limit)
def auth_token(body: dict[str, Any]) -> Any:
    policy.public()
    user = authenticate(body["username"], body["password"])
    if user is None:
        raise Unauthorized(_l("Wrong username or password."), code="invalid_credentials")
    raw, token = issue_token(user)
    return jsonify({"token": raw, "expires_at": iso(token.expires_at)})


@endpoint("/me", summary="The calling user", response=USER_OUT, errors=(401,))
def me() -> Any:
    policy.authorize("account.use")
    return jsonify(user_json(require_user()))


@endpoint("/users", "POST", summary="Party self-registration", auth=False, status=201,
          body=Obj({"username": Str(max_len=64), "password": Str(max_len=128),
                    "display_name": Str(max_len=100), "id_number": Str(max_len=18),
                    "phone": Str(required=False, nullable=True, max_len=20),
                    "email": Str(required=False, nullable=True, max_len=254)}),
          response=USER_OUT, errors=(400,))
def register_user(body: dict[str, Any]) -> Any:
    policy.public()
    user = register_party(body)
    return created(user_json(user))
