"""Mediators room: profiles, specialties, availability, matching, recusal, ratings."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.demo import cli  # noqa: F401  (registers `flask odr seed-demo` on the odr group)
    from odr.mediators import models  # noqa: F401
