"""Security headers on every response, and the policy-check guard used in tests."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self' {media}; font-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        media = current_app.config.get("MEDIA_URL", "")
        response.headers.setdefault("Content-Security-Policy", CSP.format(media=media))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self)")
        if request.endpoint and request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    if app.config.get("TESTING"):
        @app.after_request
        def _policy_guard(response: Response) -> Response:
            """Fail any endpoint that answered without asking the policy module."""
            endpoint = request.endpoint
            if endpoint and endpoint != "static" and response.status_code < 400 \
                    and not g.get("policy_checked"):
                response.headers["X-ODR-Policy-Unchecked"] = endpoint
            if g.get("policy_public"):
                response.headers["X-ODR-Policy-Public"] = "1"
            return response
