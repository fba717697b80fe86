"""JSON API v1 (API.md): conventions, auth, and every room's endpoints on one blueprint."""

from __future__ import annotations

import importlib

from flask import Flask

from odr.extensions import csrf

API_ROOMS = ("accounts", "organizations", "mediators", "cases", "evidence", "scheduling",
             "notifications", "agreements", "documents", "confirmation", "stats", "audit", "integrations", "api")


def init_app(app: Flask) -> None:
    from odr import room_modules
    from odr.api import conventions, core_views, openapi  # noqa: F401
    from odr.api.registry import api_bp

    # A module that first appears after an earlier app registered the blueprint (tests
    # build many apps in one process) may still add its routes: each new app replays them.
    api_bp._got_registered_once = False
    for room in API_ROOMS:
        for name in room_modules(room, "api"):
            importlib.import_module(name)
    csrf.exempt(api_bp)
    conventions.install(api_bp)
    if "api" not in app.blueprints:
        app.register_blueprint(api_bp)
