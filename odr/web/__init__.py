"""Cross-cutting web concerns: error pages, security headers, locale, health, home."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.web import errors, headers, template_helpers

    errors.init_app(app)
    template_helpers.init_app(app)
    headers.init_app(app)
