"""Fixtures: a fresh schema per test run (migrations, then any models newer than them),
empty tables per test, a client, login helpers, and a small county world.

The database is SQLite in a temporary folder, or PostgreSQL when ODR_TEST_DATABASE_URL
is set (the suite runs on both). Tests marked ``netns`` (aiortc peers, browsers) run
only inside a loopback-only network namespace (ODR_IN_NETNS=1), see scripts/test.sh.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from odr import create_app, sqlite_begin_mode
from odr.config import TestConfig
from odr.extensions import db, limiter
from tests.factories import PASSWORD, World, build_world

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "netns: needs a loopback-only network namespace (WebRTC, browsers)")
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (skipped on SQLite)")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    in_netns = os.environ.get("ODR_IN_NETNS") == "1"
    on_pg = bool(os.environ.get("ODR_TEST_DATABASE_URL"))
    for item in items:
        if "netns" in item.keywords and not in_netns:
            item.add_marker(pytest.mark.skip(reason="runs inside a loopback-only network namespace (scripts/test.sh)"))
        if "postgres" in item.keywords and not on_pg:
            item.add_marker(pytest.mark.skip(reason="needs ODR_TEST_DATABASE_URL (PostgreSQL)"))


def _normalize(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://"):]
    return url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("ODR_TEST_DATABASE_URL")
    if url:
        url = _normalize(url)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def schema(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Build the schema once: Alembic migrations first, then create_all for anything newer."""
    from flask_migrate import upgrade

    app = create_app(TestConfig(tmp_path_factory.mktemp("instance0"), database_url))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.create_all()
        db.engine.dispose()
    return database_url


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for t in tables:
                conn.exec_driver_sql(f'DELETE FROM "{t}"')
            conn.exec_driver_sql("DELETE FROM sqlite_sequence") if conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'").first() else None
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


@pytest.fixture()
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind under test (a new SQLite file, or a new PostgreSQL database)."""
    base = os.environ.get("ODR_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        return
    import uuid

    base = _normalize(base)
    name = f"odr_fresh_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own ``g`` and its
    own database session, not the test's (Flask would otherwise reuse the test's context)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        db.session.commit()  # end the test's own transaction: the request sees its writes
        token = sqlite_begin_mode.set("IMMEDIATE")
        try:
            with self.application.app_context():
                return super().open(*args, **kwargs)
        finally:
            sqlite_begin_mode.reset(token)


@pytest.fixture()
def app(schema: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(TestConfig(tmp_path / "instance", schema))
    application.test_client_class = IsolatedClient
    sqlite_begin_mode.set("DEFERRED")
    with application.app_context():
        _empty_tables()
        limiter.reset()
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def world(app: Flask) -> World:
    return build_world()


def login(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Log in through the real form (fetches the CSRF token from the page)."""
    page = client.get("/login")
    token = _csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def _csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    return _csrf_from(client.get(path).get_data(as_text=True))


def api_token(client: FlaskClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization header for the API, through POST /api/v1/auth/token."""
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}
