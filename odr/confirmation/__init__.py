"""Confirmation room (see DESIGN.md, Rooms): judicial confirmation of mediation agreements.

``init_app`` registers the Jinja globals the case page panel and the court pages use.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.confirmation import models  # noqa: F401
    from odr.confirmation.hearing import init_hearings
    from odr.confirmation.panel import case_confirmation, queue_row
    from odr.confirmation.rules import GROUND_LABELS, STATUS_LABELS

    app.jinja_env.globals["case_confirmation"] = case_confirmation
    app.jinja_env.globals["confirmation_queue_row"] = queue_row
    app.jinja_env.globals["confirmation_status_labels"] = STATUS_LABELS
    app.jinja_env.globals["confirmation_ground_labels"] = GROUND_LABELS
    app.jinja_env.globals["confirmation_can"] = _can
    init_hearings()  # scheduling.hearing learns who sits for the court (odr/confirmation/hearing.py)


def _can(action: str, obj: object) -> bool:
    """May the viewer do ``action`` to ``obj``? (panels show buttons only to those who may)."""
    from flask_login import current_user

    from odr.accounts import policy

    return bool(current_user.is_authenticated and policy.can(current_user, action, obj))
