"""Web forms of the confirmation pages (Flask-WTF: each carries its CSRF token).

Only shape is checked here; the law (grounds, dates, states) is checked by the services,
whose messages the views put back on the same form, keeping what was typed.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from odr.confirmation.rules import GROUND_KEYS, GROUND_LABELS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConsentForm(FlaskForm):
    court_id = SelectField(_l("Court"), coerce=int, validators=[Optional()])


class AcceptForm(FlaskForm):
    """受理 needs nothing but the button (and the CSRF token)."""


class NotAcceptForm(FlaskForm):
    reason = TextAreaField(_l("Reason for not accepting"), validators=[InputRequired(), Length(max=4000)])


class MaterialsForm(FlaskForm):
    description = TextAreaField(_l("What the parties must supply"), validators=[InputRequired(), Length(max=4000)])
    due_date = DateField(_l("Supply by"), validators=[InputRequired()])


class AssignForm(FlaskForm):
    judge_id = SelectField(_l("Judge"), coerce=int, validators=[InputRequired()])


class RuleForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[("confirm", _l("Confirm the agreement as valid (确认有效)")),
                                                   ("reject", _l("Reject the application (驳回申请)"))],
                          validators=[InputRequired()])
    grounds = MultiCheckboxField(_l("Grounds for rejection (C §358)"),
                                 choices=[(k, GROUND_LABELS[k]) for k in GROUND_KEYS])
    reason = TextAreaField(_l("Reasoning"), validators=[Optional(), Length(max=4000)])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)])


class SupplyForm(FlaskForm):
    note = TextAreaField(_l("What you supplied"), validators=[InputRequired(), Length(max=4000)])
