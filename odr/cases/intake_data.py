"""Checking what an applicant typed: one function for the wizard and the API alike.

Drafts may be incomplete (the wizard saves at any step), so ``clean_case_data`` checks
the form of whatever is given; ``check_complete`` says what is still missing before the
case may be submitted. Both raise BadInput with per-field messages, keyed by the same
dotted names the API schema uses (``respondents.0.phone``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from odr.accounts.identity import valid_credit_code
from odr.accounts.services import check_email, check_id_number, check_phone
from odr.cases.models import Case, Category, Source
from odr.core.errors import BadInput

PARTY_KINDS = ("person", "organization")
MAX_PARTIES = 20
MAX_CLAIMS = 30


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    # Control characters other than line breaks and tabs are never meaningful here.
    text = "".join(c for c in text if c in "\n\t" or ord(c) >= 32)
    return text[:limit]


def clean_amount(value: Any, errors: dict[str, Any], key: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, Decimal):
        amount = value
    else:
        try:
            amount = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            errors[key] = _l("Must be an amount such as 20000.00.")
            return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12") or amount != amount.quantize(Decimal("0.01")):
        errors[key] = _l("Must be an amount such as 20000.00.")
        return None
    return amount.quantize(Decimal("0.01"))


def clean_party(raw: dict[str, Any], errors: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A natural person (name, ID number, phone, address) or an organization (name,
    credit code, legal representative)."""
    kind = raw.get("kind") or "person"
    if kind not in PARTY_KINDS:
        errors[f"{prefix}.kind"] = _l("Choose a person or an organization.")
        kind = "person"
    name = _text(raw.get("name"), 120)
    if not name:
        errors[f"{prefix}.name"] = _l("Enter the name.")
    party: dict[str, Any] = {"kind": kind, "name": name or ""}
    if kind == "person":
        party["id_number"] = check_id_number(raw.get("id_number"), errors, f"{prefix}.id_number", required=False)
        party["credit_code"] = None
        party["legal_representative"] = None
    else:
        code = (raw.get("credit_code") or "").strip().upper() or None
        if code and not valid_credit_code(code):
            errors[f"{prefix}.credit_code"] = _l("This unified social credit code is not valid (GB 32100 check digit).")
        party["credit_code"] = code
        party["legal_representative"] = _text(raw.get("legal_representative"), 100)
        party["id_number"] = None
    party["phone"] = check_phone(raw.get("phone"), errors, f"{prefix}.phone")
    party["email"] = check_email(raw.get("email"), errors, f"{prefix}.email")
    party["address"] = _text(raw.get("address"), 200)
    agent = raw.get("agent")
    if isinstance(agent, dict) and any((agent.get(k) or "") for k in ("name", "id_number", "phone")):
        agent_name = _text(agent.get("name"), 100)
        if not agent_name:
            errors[f"{prefix}.agent.name"] = _l("Enter the agent's name.")
        party["agent"] = {
            "name": agent_name or "",
            "id_number": check_id_number(agent.get("id_number"), errors, f"{prefix}.agent.id_number", required=False),
            "phone": check_phone(agent.get("phone"), errors, f"{prefix}.agent.phone"),
        }
    return party


def _parties(value: Any, errors: dict[str, Any], key: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        errors[key] = _l("Must be a list.")
        return []
    if len(value) > MAX_PARTIES:
        errors[key] = _l("Allows at most %(n)d items.", n=MAX_PARTIES)
        return []
    out = []
    for i, raw in enumerate(value):
        if not isinstance(raw, dict):
            errors[f"{key}.{i}"] = _l("Must be a JSON object.")
            continue
        out.append(clean_party(raw, errors, f"{key}.{i}"))
    return out


def clean_case_data(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Check and normalize case fields; with ``partial`` only the keys given are returned."""
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    if "category" in data or not partial:
        if data.get("category") not in Category.ALL:
            errors["category"] = _l("Choose the kind of dispute.")
        out["category"] = data.get("category")
    if "facts" in data or not partial:
        out["facts"] = _text(data.get("facts"), 20000) or ""
    if "claims" in data:
        claims = data.get("claims") or []
        if not isinstance(claims, list) or len(claims) > MAX_CLAIMS:
            errors["claims"] = _l("Allows at most %(n)d items.", n=MAX_CLAIMS)
            claims = []
        out["claims"] = []
        for i, raw in enumerate(claims):
            if not isinstance(raw, dict):
                errors[f"claims.{i}"] = _l("Must be a JSON object.")
                continue
            desc = _text(raw.get("description"), 4000)
            amount = clean_amount(raw.get("amount"), errors, f"claims.{i}.amount")
            if not desc:
                if amount is None:
                    continue  # an empty row of the wizard
                errors[f"claims.{i}.description"] = _l("Describe what you ask for.")
            out["claims"].append({"description": desc or "", "amount": amount})
    for side in ("applicants", "respondents"):
        if side in data and data.get(side) is not None:
            out[side] = _parties(data.get(side), errors, side)
    for key in ("organization_id", "mediator_id", "court_id"):
        if key in data:
            value = data.get(key)
            if value in (None, ""):
                out[key] = None
            else:
                try:
                    out[key] = int(value)
                except (TypeError, ValueError):
                    errors[key] = _l("Must be a whole number.")
    if "region_code" in data:
        region = (data.get("region_code") or "").strip() or None
        if region and not region.isdigit():
            errors["region_code"] = _l("Unknown region code.")
        out["region_code"] = region
    if "source" in data and data.get("source") is not None:
        if data["source"] not in Source.ALL:
            errors["source"] = _l("Must be one of: %(values)s.", values=", ".join(Source.ALL))
        out["source"] = data["source"]
    if "court_case_number" in data:
        out["court_case_number"] = _text(data.get("court_case_number"), 64)
    if errors:
        raise BadInput(_l("Please correct the marked fields."), fields=errors)
    return out


def check_complete(case: Case) -> None:
    """What a case needs before the organization can take it in."""
    errors: dict[str, Any] = {}
    if case.category not in Category.ALL:
        errors["category"] = _l("Choose the kind of dispute.")
    if len((case.facts or "").strip()) < 10:
        errors["facts"] = _l("Describe what happened (at least 10 characters).")
    if not case.claims:
        errors["claims"] = _l("Say what you ask for (at least one claim).")
    if not case.applicants():
        errors["applicants"] = _l("At least one applicant is needed.")
    respondents = case.respondents()
    if not respondents:
        errors["respondents"] = _l("Name at least one respondent.")
    for i, party in enumerate(respondents):
        if not party.phone and not party.email and party.user_id is None:
            errors[f"respondents.{i}.phone"] = _l("Give the respondent's phone number or e-mail so they can be invited.")
    if case.organization_id is None:
        errors["organization_id"] = _l("Choose a mediation organization, or give your region so we can route the case.")
    if errors:
        raise BadInput(_l("The application is not complete yet."), fields=errors)
