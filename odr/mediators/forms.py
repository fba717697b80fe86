"""Web forms of the mediator pool and the labels the pages show.

The forms only carry what was typed (and the CSRF token); what is allowed is decided by
the services, whose per-field messages are put back on the fields, so a refused form
shows what the person typed next to why it was refused.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, Length, Optional

from odr.cases.models import Category
from odr.core.time import DEFAULT_TZ

CATEGORY_LABELS: dict[str, Any] = {
    "family": _l("Family"), "neighbour": _l("Neighbours"), "property": _l("Property"),
    "contract": _l("Contract"), "damages": _l("Damages"), "labour": _l("Labour"), "medical": _l("Medical"),
    "consumer": _l("Consumer"), "traffic": _l("Traffic accident"),
    "property_management": _l("Property management"), "land_contract": _l("Land contract"),
    "other": _l("Other"),
}
KIND_LABELS: dict[str, Any] = {
    "peoples_committee": _l("People's mediation committee"),
    "industry_committee": _l("Industry mediation committee"),
    "lawyer_studio": _l("Lawyer mediation studio"),
    "court_annexed": _l("Court-annexed (specially invited) organization"),
}
LEVEL_LABELS: dict[str, Any] = {"village": _l("Village / community"), "town": _l("Town / street"),
                                "county": _l("County / district"), "city": _l("City")}
STATUS_LABELS: dict[str, Any] = {"active": _l("Active"), "suspended": _l("Suspended")}
WEEKDAYS: list[Any] = [_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                       _l("Saturday"), _l("Sunday")]
#: the "available within" choices of the directory (days)
WITHIN_CHOICES = (1, 3, 7, 14, 28)


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _raw(field: Any) -> str:
    """What was typed into a number field, parsed or not (the service says what is wrong)."""
    return (field.raw_data or [""])[0] if field.raw_data else ("" if field.data is None else str(field.data))


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[InputRequired(), Length(max=100)])
    bio = TextAreaField(_l("About the mediator"), validators=[Optional(), Length(max=4000)])
    specialties = _Checkboxes(_l("Specialties (dispute categories)"),
                              choices=[(c, CATEGORY_LABELS[c]) for c in Category.ALL], validate_choice=False)
    languages = StringField(_l("Languages and dialects (comma-separated)"), validators=[Length(max=300)])
    region_code = StringField(_l("Region code"), validators=[Optional(), Length(max=12)])
    qualifications = TextAreaField(_l("Qualifications"), validators=[Optional(), Length(max=4000)])
    years_of_practice = IntegerField(_l("Years of practice"), validators=[Optional()])
    max_cases = IntegerField(_l("Maximum concurrent cases"), validators=[Optional()])

    def data_for_service(self) -> dict[str, Any]:
        """The raw values (the service validates them), taken from the request so that a
        number field that did not parse still reaches the service's own message."""
        return {"display_name": self.display_name.data, "bio": self.bio.data,
                "specialties": list(self.specialties.data or []), "languages": self.languages.data or "",
                "region_code": self.region_code.data, "qualifications": self.qualifications.data,
                "years_of_practice": _raw(self.years_of_practice), "max_cases": _raw(self.max_cases)}


class EditProfileForm(ProfileForm):
    """The edit page also takes the photo: chosen with the other fields, so a refused photo
    comes back next to everything else that was typed (nothing is saved until all is fine)."""

    photo = FileField(_l("New photo (JPEG, PNG or WebP, at most 5 MB)"))
    remove_photo = BooleanField(_l("Remove the current photo"))

    def chosen_photo(self) -> Any:
        """The uploaded file, or None when the file input was left empty."""
        upload = self.photo.data
        return upload if upload is not None and getattr(upload, "filename", "") else None


class NewMediatorForm(ProfileForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=64)])
    password = PasswordField(_l("Initial password (at least 8 characters)"),
                             validators=[InputRequired(), Length(max=128)])
    phone = StringField(_l("Mobile phone"), validators=[Optional(), Length(max=20)])

    def data_for_service(self) -> dict[str, Any]:
        return {**super().data_for_service(), "username": self.username.data, "password": self.password.data,
                "phone": self.phone.data}


def put_errors(form: FlaskForm, fields: dict[str, Any]) -> dict[str, Any]:
    """Attach a service's per-field messages to the form's fields; returns the rest."""
    rest: dict[str, Any] = {}
    for name, message in fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors or []), str(message)]
        else:
            rest[name] = message
    return rest


# ---------------------------------------------------------------- availability editor

def weekly_rows(form: MultiDict) -> list[dict[str, str]]:
    """The weekly rows as typed (weekday/start/end lists), leaving out rows left blank."""
    rows = []
    for wd, start, end in zip(form.getlist("weekday"), form.getlist("start"), form.getlist("end"), strict=False):
        if (start or "").strip() or (end or "").strip():
            rows.append({"weekday": wd, "start": start.strip(), "end": end.strip()})
    return rows


def leave_rows(form: MultiDict) -> list[dict[str, str]]:
    """The leave rows as typed (first and last day, reason), leaving out blank rows."""
    rows = []
    for first, last, reason in zip(form.getlist("leave_from"), form.getlist("leave_to"),
                                   form.getlist("leave_reason"), strict=False):
        if (first or "").strip() or (last or "").strip():
            rows.append({"from": first.strip(), "to": last.strip(), "reason": (reason or "").strip()})
    return rows


def leave_to_exceptions(rows: list[dict[str, str]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Whole days of leave (local dates, last day included) as the service's absences.

    A date that does not parse is reported here, under the same field names the service
    uses, because the service only ever sees times.
    """
    out: list[dict[str, Any]] = []
    errors: dict[str, Any] = {}
    for i, row in enumerate(rows):
        try:
            first, last = date.fromisoformat(row["from"]), date.fromisoformat(row["to"] or row["from"])
        except ValueError:
            errors[f"exceptions.{i}"] = _l("Give the first and last day as dates.")
            out.append({"start": "", "end": ""})
            continue
        start = datetime.combine(first, time(0), DEFAULT_TZ)
        end = datetime.combine(last + timedelta(days=1), time(0), DEFAULT_TZ)
        out.append({"start": start, "end": end, "reason": row["reason"] or None})
    return out, errors


def leave_from_json(exceptions: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Stored absences shown as whole local days."""
    from odr.core.time import parse_iso

    rows = []
    for item in exceptions:
        start = parse_iso(item["start"]).astimezone(DEFAULT_TZ)
        end = parse_iso(item["end"]).astimezone(DEFAULT_TZ) - timedelta(seconds=1)
        rows.append({"from": start.date().isoformat(), "to": end.date().isoformat(), "reason": item.get("reason") or ""})
    return rows
