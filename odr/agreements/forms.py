"""Web forms of the agreements room; the content rules live in services.draft_agreement."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

METHOD_CHOICES = [("", _l("(not stated)")), ("lump_sum", _l("Lump sum")),
                  ("instalments", _l("Instalments")), ("act", _l("An act to perform"))]


class TermForm(Form):
    """One row: who owes what to whom, by when and how (plain Form: one CSRF token per page)."""

    obligor = StringField(_l("Who owes"), validators=[Optional(), Length(max=120)])
    obligee = StringField(_l("To whom"), validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("What (payment purpose or act)"), validators=[Optional(), Length(max=4000)])
    amount = StringField(_l("Amount (CNY)"), validators=[Optional(), Length(max=20)])
    due_date = StringField(_l("Due date"), validators=[Optional(), Length(max=10)],
                           render_kw={"type": "date"})
    method = SelectField(_l("Method"), choices=METHOD_CHOICES, validators=[Optional()])


class AgreementForm(FlaskForm):
    facts = TextAreaField(_l("Main facts"), validators=[DataRequired(), Length(max=20000)])
    points_in_dispute = TextAreaField(_l("Points in dispute (one per line)"),
                                      validators=[Optional(), Length(max=10000)])
    responsibilities = TextAreaField(_l("Each side's responsibility"), validators=[Optional(), Length(max=10000)])
    terms = FieldList(FormField(TermForm), min_entries=1, max_entries=50)
    other_terms = TextAreaField(_l("Other terms"), validators=[Optional(), Length(max=10000)])
    performance = TextAreaField(_l("How and by when it is performed"), validators=[Optional(), Length(max=10000)])
    copies = IntegerField(_l("Number of copies"), validators=[Optional(), NumberRange(min=1, max=50)])


class SignForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=128)])
    content_hash = HiddenField()
    #: shown only where signing codes are configured; the service says when it is missing
    code = StringField(_l("One-time code"), validators=[Optional(), Length(max=12)],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6})
    #: the drawn signature as a data:image/png;base64 URL (odr/static/js/signature_pad.js)
    signature_image = HiddenField()


class SignCodeForm(FlaskForm):
    """Only the CSRF token: the button that asks for a one-time signing code."""


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment on this draft"), validators=[DataRequired(), Length(max=4000)])
