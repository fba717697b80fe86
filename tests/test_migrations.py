"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and the audit table refuses UPDATE and DELETE on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from odr import create_app
from odr.config import TestConfig
from odr.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_match_the_models(fresh_database_url: str, tmp_path: Path) -> None:
    fresh_url = fresh_database_url
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
