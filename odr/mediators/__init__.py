"""Mediators room: profiles, specialties, availability, matching, recusal, ratings."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.mediators import models  # noqa: F401
