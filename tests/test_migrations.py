"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and the audit table refuses UPDATE and DELETE on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from odr import create_app
from odr.config import TestConfig
from odr.extensions import db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def fresh_url(tmp_path: Path):
    base = os.environ.get("ODR_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    base = base.replace("postgresql://", "postgresql+psycopg://", 1) if base.startswith("postgresql://") else base
    name = f"odr_migcheck_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_match_the_models(fresh_url: str, tmp_path: Path) -> None:
    app = create_app(TestConfig(tmp_path / "inst", fresh_url))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert not diff, f"models and migrations differ — run flask db migrate: {diff[:10]}"
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO audit_event (created_at, action, prev_hash, hash) "
                                  "VALUES (now(), 'x', repeat('0', 64), repeat('1', 64))"))
            for statement in ("UPDATE audit_event SET action = 'y'", "DELETE FROM audit_event"):
                with pytest.raises(DBAPIError), db.engine.begin() as conn:
                    conn.execute(text(statement))
        downgrade(directory=str(ROOT / "migrations"), revision="base")
        db.engine.dispose()
