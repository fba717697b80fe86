"""Web forms (Flask-WTF gives each a CSRF token); validation of content is in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, TelField
from wtforms.validators import DataRequired, Length, Optional


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])


class RegisterForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password (at least 8 characters)"), validators=[DataRequired(), Length(max=128)])
    display_name = StringField(_l("Real name"), validators=[DataRequired(), Length(max=100)])
    id_number = StringField(_l("Resident ID number"), validators=[DataRequired(), Length(max=18)])
    phone = TelField(_l("Mobile phone"), validators=[Optional(), Length(max=20)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=254)])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token (logout and other one-button actions)."""
