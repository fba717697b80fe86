"""Scheduling room (see DESIGN.md, Rooms): sessions, deadlines, the scheduler process.

Public entry points: ``odr.scheduling.booking`` (propose/accept/cancel/reschedule),
``odr.scheduling.deadlines`` (set_deadline, close_deadlines, set_confirmation_deadlines),
``odr.scheduling.jobs.start_embedded_scheduler`` and the ``flask odr scheduler`` command.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask


def _can(user: Any, action: str, obj: Any) -> bool:
    """Panels decide which buttons to show with the same policy the endpoints enforce."""
    from odr.accounts import policy

    return bool(user is not None and user.is_authenticated and policy.can(user, action, obj))


def init_app(app: Flask) -> None:
    from odr.scheduling import cli, models  # noqa: F401 - cli registers `flask odr scheduler`
    from odr.scheduling.booking import case_sessions
    from odr.scheduling.deadlines import case_deadlines, connect_receivers

    app.config.setdefault("SCHEDULER_LEADER_RETRY_SECONDS", 5.0)
    app.config.setdefault("DEADLINE_WARNING_DAYS", (7, 2))
    app.config.setdefault("RESPONDENT_ANSWER_DAYS", 7)
    app.config.setdefault("MEDIATION_PERIOD_FILED_DAYS", 15)
    app.config.setdefault("MEDIATION_GRACE_DAYS", 3)
    app.config.setdefault("CONFIRMATION_HARD_DAYS", 30)
    app.config.setdefault("HOLIDAYS_FILE", os.environ.get("ODR_HOLIDAYS_FILE"))
    app.config.setdefault("SCHEDULER_SWEEP_SECONDS", float(os.environ.get("ODR_SCHEDULER_SWEEP_SECONDS") or 1.0))
    connect_receivers()
    app.jinja_env.globals["case_sessions"] = case_sessions
    app.jinja_env.globals["case_deadlines"] = case_deadlines
    app.jinja_env.globals["scheduling_can"] = _can
    from odr.scheduling import extension

    app.jinja_env.globals["extension_panel"] = extension.panel_state
    from odr.scheduling.video_setup import init_video
    init_video(app)  # video room: panel and page globals (odr/scheduling/video_setup.py)
