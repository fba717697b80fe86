"""Pieces every room uses: errors, time, column types, storage, numbering, signals."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Import the shared models so the metadata knows them (Alembic, create_all in tests).
    from odr.core import sequences  # noqa: F401
    from odr.core.cli import odr_cli

    app.cli.add_command(odr_cli)
