"""The ODR web application.

``create_app`` builds the app from settings, binds the extensions, then lets each room
(``odr/<room>/__init__.py``) register its blueprints, CLI commands and signal receivers
through its own ``init_app``. Rooms are initialised in dependency order; the api room
comes last because it collects every room's ``api.py`` before registering its blueprint.
"""

from __future__ import annotations

import importlib
import logging
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from flask import Flask

from odr.config import Config
from odr.extensions import babel, csrf, db, limiter, login_manager, migrate

ROOMS = ("core", "audit", "accounts", "organizations", "mediators", "cases", "evidence",
         "scheduling", "notifications", "agreements", "documents", "confirmation", "stats",
         "integrations", "backup", "web", "api")

log = logging.getLogger("odr")

#: How SQLite transactions begin in this context. The app always uses IMMEDIATE; the test
#: suite's own long-lived session reads with DEFERRED so it never holds the write lock
#: while the app under test writes.
sqlite_begin_mode: ContextVar[str] = ContextVar("sqlite_begin_mode", default="IMMEDIATE")


def create_app(config: Any = None) -> Flask:
    app = Flask("odr", template_folder="../templates", static_folder="static")
    cfg = config if config is not None else Config()
    app.config.from_object(cfg)
    app.instance_path = app.config["INSTANCE_PATH"]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    # Every request body is capped (an ordinary form, JSON, the CSRF check reading a form
    # before any login): streamed uploads lift the cap and apply their own limit.
    app.config["MAX_CONTENT_LENGTH"] = app.config.get("MAX_REQUEST_BYTES", 16 * 1024 * 1024)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from odr.web.i18n import select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(Path(__file__).parent / "translations"))

    with app.app_context():
        _tune_database(app)

    for room in ROOMS:
        module = importlib.import_module(f"odr.{room}")
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)
        register_room_blueprints(app, room)
    from odr.documents.render import warn_if_slow_fonts

    warn_if_slow_fonts(log)
    return app


def room_modules(room: str, prefix: str) -> list[str]:
    """Names of ``odr/<room>/<prefix>*.py`` modules, so rooms add pages and endpoints
    by adding files, without editing a shared registry."""
    import pkgutil

    package = importlib.import_module(f"odr.{room}")
    paths = getattr(package, "__path__", None)
    if not paths:
        return []
    return sorted(f"odr.{room}.{m.name}" for m in pkgutil.iter_modules(paths)
                  if m.name == prefix or m.name.startswith(prefix + "_"))


def register_room_blueprints(app: Flask, room: str) -> None:
    """Register the ``bp`` blueprint of every ``views*.py`` module of a room."""
    from flask import Blueprint

    for name in room_modules(room, "views"):
        bp = getattr(importlib.import_module(name), "bp", None)
        if isinstance(bp, Blueprint) and bp.name not in app.blueprints:
            app.register_blueprint(bp)


def _tune_database(app: Flask) -> None:
    """SQLite: WAL, a busy timeout, foreign keys, and IMMEDIATE transactions.

    The embedded default has one writer at a time; beginning every transaction with
    BEGIN IMMEDIATE makes concurrent writers wait their turn instead of failing with
    "database is locked" half-way through a read-then-write (and keeps the audit chain
    linear).
    """
    from sqlalchemy import event

    engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(f"BEGIN {sqlite_begin_mode.get()}")
