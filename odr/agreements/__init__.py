"""Agreements room (see DESIGN.md, Rooms)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.agreements import models  # noqa: F401
