"""Web forms of the scheduling room (Flask-WTF: each carries its CSRF token).

Only shape is checked here; the rules (quarter hour, future, no double booking) are the
services', whose messages the views put back on the same form, keeping what was typed.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, TimeField
from wtforms.validators import InputRequired, NumberRange

from odr.core.time import DEFAULT_TZ


class HearingForm(FlaskForm):
    """The court proposes one hearing time, in the viewer's own wall-clock time."""

    date = DateField(_l("Date"), validators=[InputRequired()])
    time = TimeField(_l("Start time"), validators=[InputRequired()], render_kw={"step": 900})
    duration_minutes = IntegerField(_l("Duration (minutes)"), default=60,
                                    validators=[InputRequired(), NumberRange(min=15, max=240)],
                                    render_kw={"min": 15, "max": 240, "step": 15})

    def starts_at(self, zone: str | None) -> datetime:
        """The chosen moment in the viewer's zone (Asia/Shanghai unless they set another)."""
        try:
            tz = ZoneInfo(zone) if zone else DEFAULT_TZ
        except (KeyError, ValueError):
            tz = DEFAULT_TZ
        return datetime.combine(self.date.data, self.time.data, tzinfo=tz)
