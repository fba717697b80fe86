"""The case pages' forms: labels, and turning posted fields into the services' data shape.

The wizard has repeating rows (claims, parties) that WTForms handles poorly without
JavaScript, so rows are plain indexed fields (``claims-0-amount``) parsed here into the
same dictionaries the JSON API sends; validation stays in ``intake_data`` (one rule set
for web and API). CSRF is checked for every POST by the app-wide CSRFProtect.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from odr.cases.models import Case, Category

CATEGORY_LABELS: dict[str, Any] = {
    "family": _l("Family"), "neighbour": _l("Neighbours"), "property": _l("Property / homestead"),
    "contract": _l("Contract"), "damages": _l("Damages"), "labour": _l("Labour"), "medical": _l("Medical"),
    "consumer": _l("Consumer"), "traffic": _l("Traffic accident"),
    "property_management": _l("Property management"), "land_contract": _l("Land contract"), "other": _l("Other"),
}
assert set(CATEGORY_LABELS) == set(Category.ALL)

SOURCE_LABELS: dict[str, Any] = {"self_filed": _l("Filed by the applicant"),
                                  "court_diversion": _l("Diverted by a court"), "api": _l("Filed through the API")}
CONSENT_LABELS: dict[str, Any] = {"pending": _l("Not answered yet"), "accepted": _l("Agreed to mediation"),
                                  "declined": _l("Declined mediation")}
PARTY_FIELDS = ("kind", "name", "id_number", "credit_code", "legal_representative", "phone", "email", "address")
AGENT_FIELDS = ("name", "id_number", "phone")
SIDES = ("applicants", "respondents")


def _indices(form: MultiDict, prefix: str) -> list[int]:
    pattern = re.compile(rf"^{prefix}-(\d+)-")
    found = {int(m.group(1)) for key in form.keys() if (m := pattern.match(key))}
    return sorted(i for i in found if i < 100)


def claim_rows(form: MultiDict, drop: int | None = None) -> list[dict[str, str]]:
    """Claim rows as typed (strings), without the row the user removed."""
    return [{"description": form.get(f"claims-{i}-description", ""), "amount": form.get(f"claims-{i}-amount", "")}
            for i in _indices(form, "claims") if i != drop]


def party_rows(form: MultiDict, side: str, drop: int | None = None) -> list[dict[str, Any]]:
    rows = []
    for i in _indices(form, side):
        if i == drop:
            continue
        row: dict[str, Any] = {k: form.get(f"{side}-{i}-{k}", "") for k in PARTY_FIELDS}
        row["kind"] = row["kind"] or "person"
        row["agent"] = {k: form.get(f"{side}-{i}-agent-{k}", "") for k in AGENT_FIELDS}
        rows.append(row)
    return rows


def party_payload(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as the service wants them: fully blank rows left out, the fields of the other
    kind (person / organization) dropped."""
    out = []
    for row in rows:
        if not any((row.get(k) or "").strip() for k in PARTY_FIELDS if k != "kind") \
                and not any((v or "").strip() for v in row["agent"].values()):
            continue
        item = {k: (row.get(k) or "").strip() or None for k in PARTY_FIELDS}
        item["kind"] = row.get("kind") or "person"
        item["name"] = item["name"] or ""
        agent = {k: (v or "").strip() or None for k, v in row["agent"].items()}
        item["agent"] = agent if any(agent.values()) else None
        out.append(item)
    return out


def claims_from_case(case: Case) -> list[dict[str, str]]:
    return [{"description": c.description, "amount": f"{c.amount:.2f}" if c.amount is not None else ""}
            for c in case.claims]


def parties_from_case(case: Case, side: str) -> list[dict[str, Any]]:
    wanted = "applicant" if side == "applicants" else "respondent"
    rows = []
    for p in case.parties:
        if p.side != wanted:
            continue
        row: dict[str, Any] = {k: getattr(p, k) or "" for k in PARTY_FIELDS}
        agent = next((a for a in case.agents if a.party_id == p.id), None)
        row["agent"] = {k: (getattr(agent, k) or "") if agent else "" for k in AGENT_FIELDS}
        rows.append(row)
    return rows


def blank_party() -> dict[str, Any]:
    return {**{k: "" for k in PARTY_FIELDS}, "kind": "person", "agent": {k: "" for k in AGENT_FIELDS}}


def field_errors(fields: dict[str, Any]) -> dict[str, str]:
    """BadInput.fields as strings, keyed like the form's field names (claims.0.amount →
    claims-0-amount) so a template can look them up next to each input."""
    return {key.replace(".", "-"): str(message) for key, message in fields.items()}

