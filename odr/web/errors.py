"""Error pages in the viewer's language, and API.md's JSON error shape under /api/."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from odr.core.errors import DomainError
from odr.extensions import db

log = logging.getLogger("odr.errors")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_type",
          422: "rule_broken", 429: "rate_limited", 500: "server_error", 503: "unavailable",
          507: "storage_full"}


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please check what you entered."),
        401: _("Please log in first."),
        403: _("You are not allowed to do this."),
        404: _("The page or record was not found, or you may not see it."),
        405: _("This action is not available here."),
        409: _("This action conflicts with the current state. Reload and try again."),
        413: _("The file or request is too large."),
        415: _("This file type is not allowed."),
        422: _("This is not allowed by the rules."),
        429: _("Too many attempts. Please wait a minute and try again."),
        500: _("Something went wrong on our side. Nothing was changed; please try again."),
        503: _("The service is temporarily unavailable. Please try again shortly."),
        507: _("The storage is full. Nothing was saved; please try again later."),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json")


def error_response(status: int, code: str | None = None, message: Any = None,
                   fields: dict[str, Any] | None = None) -> Response | tuple[Any, int]:
    text = str(message) if message is not None else _messages().get(status, _messages()[400])
    if wants_json():
        body: dict[str, Any] = {"code": code or _CODES.get(status, "error"), "message": text}
        if fields:
            body["fields"] = {k: (str(v) if not isinstance(v, (list, dict)) else v) for k, v in fields.items()}
        return jsonify({"error": body}), status
    if status == 401:
        return redirect(url_for("accounts.login", next=request.full_path))
    return render_template("errors/error.html", status=status, message=text), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Any:
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Any:
        return error_response(400, "csrf_failed",
                              _("The form expired or was sent from elsewhere (security token missing). "
                                "Please reload the page and try again."))

    @app.errorhandler(RateLimitExceeded)
    def _limited(exc: RateLimitExceeded) -> Any:
        return error_response(429, "rate_limited")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        return error_response(status, _CODES.get(status), None)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        from sqlalchemy.exc import OperationalError
        if isinstance(exc, OperationalError):
            return error_response(503, "unavailable")
        return error_response(500, "server_error")
