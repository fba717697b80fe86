"""Organizations room: mediation organizations (village→town→county→city), courts, regions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.organizations import models  # noqa: F401
