"""Cases room: the case, its parties and claims, intake, and the one state machine."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.cases import models  # noqa: F401
