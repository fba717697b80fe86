"""Audit trail room: append-only, hash-chained events and `flask odr verify-audit`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.audit import cli, models  # noqa: F401
