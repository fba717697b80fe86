"""Account writes: registration, login bookkeeping, API tokens.

Validation lives here (not in forms) so the web form and the API refuse the same input
with the same messages.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from odr.accounts.identity import normalize_id_number, valid_id_number
from odr.accounts.models import ApiToken, Role, User
from odr.accounts.passwords import hash_password, needs_rehash, verify_password
from odr.audit.services import record
from odr.core.errors import BadInput, Conflict
from odr.core.time import now
from odr.extensions import db

USERNAME_RE = r"[A-Za-z0-9_.\-@]{3,64}"
PHONE_RE = r"\+?[0-9][0-9\- ]{5,19}"


def check_username(username: str | None, errors: dict[str, Any]) -> str:
    value = (username or "").strip()
    if not re.fullmatch(USERNAME_RE, value):
        errors["username"] = _l("3–64 letters, digits or . _ - @ .")
    elif db.session.execute(select(User.id).where(func.lower(User.username) == value.lower())).first():
        errors["username"] = _l("This username is taken.")
    return value


def check_password(password: str | None, errors: dict[str, Any]) -> str:
    value = password or ""
    if len(value) < 8 or len(value) > 128:
        errors["password"] = _l("The password must be 8 to 128 characters.")
    return value


def check_display_name(name: str | None, errors: dict[str, Any], key: str = "display_name") -> str:
    value = (name or "").strip()
    if not value or len(value) > 100 or any(ord(c) < 32 for c in value):
        errors[key] = _l("Enter a name of at most 100 characters.")
    return value


def check_id_number(value: str | None, errors: dict[str, Any], key: str = "id_number",
                    required: bool = True) -> str | None:
    if not value or not value.strip():
        if required:
            errors[key] = _l("Enter your 18-character resident ID number.")
        return None
    norm = normalize_id_number(value)
    if not valid_id_number(norm):
        errors[key] = _l("This resident ID number is not valid (check the digits and the last character).")
    return norm


def check_phone(value: str | None, errors: dict[str, Any], key: str = "phone") -> str | None:
    if not value or not value.strip():
        return None
    v = value.strip()
    if not re.fullmatch(PHONE_RE, v):
        errors[key] = _l("Enter a valid phone number.")
    return v


def check_email(value: str | None, errors: dict[str, Any], key: str = "email") -> str | None:
    if not value or not value.strip():
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        errors[key] = _l("Enter a valid e-mail address.")
        return value.strip()


def register_party(data: dict[str, Any]) -> User:
    """Create a party account (self-registration); everything checked, nothing half-made."""
    errors: dict[str, Any] = {}
    username = check_username(data.get("username"), errors)
    password = check_password(data.get("password"), errors)
    display_name = check_display_name(data.get("display_name"), errors)
    id_number = check_id_number(data.get("id_number"), errors)
    phone = check_phone(data.get("phone"), errors)
    email = check_email(data.get("email"), errors)
    if not phone and not email and "phone" not in errors and "email" not in errors:
        errors["phone"] = _l("Give a phone number or an e-mail address so we can reach you.")
    if errors:
        raise BadInput(_l("Please correct the marked fields."), fields=errors)
    user = User(username=username, password_hash=hash_password(password), display_name=display_name,
                role=Role.PARTY, id_number=id_number, phone=phone, email=email)
    db.session.add(user)
    db.session.flush()
    record("user.register", user, actor=user, after={"username": username, "role": Role.PARTY})
    db.session.commit()
    return user


def create_user(*, username: str, password: str, display_name: str, role: str,
                actor: Any = None, **extra: Any) -> User:
    """Create any account after validation (staff and admins). The caller commits."""
    errors: dict[str, Any] = {}
    username = check_username(username, errors)
    password = check_password(password, errors)
    display_name = check_display_name(display_name, errors)
    if role not in Role.ALL:
        errors["role"] = _l("Unknown role.")
    if extra.get("id_number"):
        extra["id_number"] = check_id_number(extra["id_number"], errors)
    if extra.get("phone"):
        extra["phone"] = check_phone(extra["phone"], errors)
    if extra.get("email"):
        extra["email"] = check_email(extra["email"], errors)
    if errors:
        raise BadInput(_l("Please correct the marked fields."), fields=errors)
    user = User(username=username, password_hash=hash_password(password),
                display_name=display_name, role=role, **extra)
    db.session.add(user)
    db.session.flush()
    record("user.create", user, actor=actor, after={"username": username, "role": role,
                                                   "organization_id": user.organization_id,
                                                   "court_id": user.court_id})
    return user


def authenticate(username: str, password: str) -> User | None:
    """The user for these credentials, or None. Costs the same for unknown users."""
    user = db.session.execute(
        select(User).where(func.lower(User.username) == (username or "").strip().lower())
    ).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def note_login(user: User) -> None:
    user.last_login_at = now()
    record("user.login", user, actor=user)
    db.session.commit()


def check_password_for(user: User, password: str) -> bool:
    """Re-entered password (e-signing, sensitive steps)."""
    return verify_password(user.password_hash, password or "")


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, *, kind: str = "login", name: str | None = None,
                scopes: list[str] | None = None, court_id: int | None = None,
                ttl: timedelta | None = None, actor: Any = None) -> tuple[str, ApiToken]:
    """A new bearer token; only its hash is stored. Returns (raw token, row)."""
    raw = "odr_" + secrets.token_urlsafe(32)
    if ttl is None and kind == "login":
        ttl = timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"])
    token = ApiToken(user_id=user.id, kind=kind, name=name, token_hash=_token_hash(raw),
                     scopes=scopes or [], court_id=court_id,
                     expires_at=now() + ttl if ttl else None)
    db.session.add(token)
    db.session.flush()
    if kind != "login":
        record("token.issue", token, actor=actor, after={"name": name, "scopes": scopes or [], "user_id": user.id})
    db.session.commit()
    return raw, token


def token_owner(raw: str) -> tuple[User, ApiToken] | None:
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(raw))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now():
        return None
    user = db.session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    return user, token


def revoke_token(token: ApiToken, actor: Any) -> None:
    if token.revoked_at is not None:
        raise Conflict(_l("This token is already revoked."))
    token.revoked_at = now()
    record("token.revoke", token, actor=actor)
    db.session.commit()


def token_expiry(token: ApiToken) -> datetime | None:
    return token.expires_at
