"""Locale and time zone of the viewer: ?lang=, then the session, the account, zh by default."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user

SUPPORTED = {"zh": "zh_Hans_CN", "zh_Hans_CN": "zh_Hans_CN", "zh-CN": "zh_Hans_CN", "en": "en"}


def select_locale() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = session.get("lang") if _has_session() else None
    if lang in SUPPORTED:
        return SUPPORTED[lang]
    user_locale = getattr(current_user, "locale", None) if _user_loaded() else None
    if user_locale in SUPPORTED:
        return SUPPORTED[user_locale]
    if request and request.path.startswith("/api/"):
        best = request.accept_languages.best_match(["zh", "en"])
        if best:
            return SUPPORTED[best]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_TIMEZONE"]
    tz = getattr(current_user, "timezone", None) if _user_loaded() else None
    return tz or current_app.config["BABEL_DEFAULT_TIMEZONE"]


def current_lang() -> str:
    return "en" if select_locale() == "en" else "zh"


def _has_session() -> bool:
    try:
        return session is not None
    except RuntimeError:
        return False


def _user_loaded() -> bool:
    try:
        return bool(current_user) and current_user.is_authenticated
    except Exception:  # noqa: BLE001 - no request or no login manager yet
        return False
