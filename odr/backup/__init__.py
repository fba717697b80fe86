"""Backup room: `flask odr backup` and `flask odr restore` (database rows and stored files)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.backup import cli  # noqa: F401
