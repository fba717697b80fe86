"""Drafting, commenting on and e-signing settlement agreements.

Why it works this way:

* Every draft is a new ``Agreement`` row (a version). Once anyone has signed a version
  its content never changes: an amendment is a new version and every earlier
  unfinished version is marked ``superseded``, so a signature always points at exactly
  the text the signer saw (``content_hash`` = SHA-256 of the canonical JSON of the
  version's content, stored on the version and on each signature).
* Online agreements take effect at the last e-signature (在线调解规则 §19): when every
  party (in person or through their agent) and the mediator have signed, the
  organization's e-seal is applied, the agreement is numbered per organization and
  year, the case moves to ``agreement_effective`` and ``agreement_effective`` is sent
  so the documents room renders the PDF in the same transaction.
* The mediator signs last: their signature attests that the parties signed the
  version in front of them, as on paper.

Services commit; they never touch the request (IP and user agent are passed in).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from odr.accounts import policy
from odr.agreements.models import Agreement, AgreementComment, AgreementTerm, Signature
from odr.audit.services import record
from odr.cases import lifecycle
from odr.cases.messages import tell_party
from odr.cases.models import Case
from odr.core.errors import BadInput, Conflict, Forbidden, RuleBroken
from odr.extensions import db

DRAFT, EFFECTIVE, SUPERSEDED = "draft", "effective", "superseded"
METHODS = ("lump_sum", "instalments", "act")
MAX_TERMS = 50


# ---------------------------------------------------------------- reading

def versions(case: Case) -> list[Agreement]:
    """All versions of the case's agreement, newest first."""
    return list(db.session.execute(
        select(Agreement).where(Agreement.case_id == case.id).order_by(Agreement.version.desc())
    ).scalars())


def current(case: Case) -> Agreement | None:
    """The version that counts: the effective one, else the newest draft."""
    for agreement in versions(case):
        if agreement.status in (EFFECTIVE, DRAFT):
            return agreement
    return None


def comments(agreement: Agreement) -> list[AgreementComment]:
    return list(db.session.execute(
        select(AgreementComment).where(AgreementComment.agreement_id == agreement.id)
        .order_by(AgreementComment.id)).scalars())


def canonical_content(agreement: Agreement) -> str:
    """The exact text a signature covers, as stable JSON (sorted keys, no spaces)."""
    case = db.session.get(Case, agreement.case_id)
    parties = [{"side": p.side, "name": p.name, "id": p.id_number or p.credit_code}
               for p in (case.parties if case else [])]
    terms = [{
        "obligor": t.obligor, "obligee": t.obligee, "description": t.description,
        "amount": None if t.amount is None else f"{Decimal(str(t.amount)):.2f}",
        "due_date": t.due_date.isoformat() if t.due_date else None, "method": t.method,
    } for t in sorted(agreement.terms, key=lambda t: t.position)]
    content = {
        "case_id": agreement.case_id, "version": agreement.version, "parties": parties,
        "facts": agreement.facts, "points_in_dispute": agreement.points_in_dispute,
        "responsibilities": agreement.responsibilities, "terms": terms,
        "other_terms": agreement.other_terms, "performance": agreement.performance,
        "copies": agreement.copies,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_hash(agreement: Agreement) -> str:
    return hashlib.sha256(canonical_content(agreement).encode("utf-8")).hexdigest()


def required_signers(case: Case) -> list[dict[str, Any]]:
    """Who must sign: one entry per party record, then the mediator."""
    out: list[dict[str, Any]] = [{"role": "party", "party": p} for p in case.parties]
    out.append({"role": "mediator", "user_id": case.mediator_id})
    return out


def signing_status(agreement: Agreement) -> list[dict[str, Any]]:
    """Each required signature and the signature that fulfils it (or None), for pages and PDFs."""
    case = db.session.get(Case, agreement.case_id)
    by_party = {s.party_id: s for s in agreement.signatures if s.role in ("party", "agent")}
    mediator_sig = next((s for s in agreement.signatures if s.role == "mediator"), None)
    rows = []
    for need in required_signers(case):
        if need["role"] == "party":
            party = need["party"]
            rows.append({"role": "party", "party": party, "name": party.name,
                         "signature": by_party.get(party.id)})
        else:
            mediator = case.mediator
            rows.append({"role": "mediator", "party": None,
                         "name": mediator.display_name if mediator else "",
                         "signature": mediator_sig})
    return rows


def seal_signature(agreement: Agreement) -> Signature | None:
    return next((s for s in agreement.signatures if s.role == "seal"), None)


# ---------------------------------------------------------------- drafting

def _text(data: dict[str, Any], key: str, max_len: int, errors: dict[str, Any],
          prefix: str = "") -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        errors[prefix + key] = _l("Must be text.")
        return None
    value = value.strip().replace("\x00", "")
    if len(value) > max_len:
        errors[prefix + key] = _l("Must be at most %(n)d characters.", n=max_len)
    return value or None


def _clean_terms(raw: Any, errors: dict[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        errors["terms"] = _l("Add at least one term.")
        return []
    if len(raw) > MAX_TERMS:
        errors["terms"] = _l("Allows at most %(n)d items.", n=MAX_TERMS)
        return []
    out = []
    for i, item in enumerate(raw):
        prefix = f"terms.{i}."
        if not isinstance(item, dict):
            errors[f"terms.{i}"] = _l("Must be a JSON object.")
            continue
        term = {"obligor": _text(item, "obligor", 120, errors, prefix),
                "obligee": _text(item, "obligee", 120, errors, prefix),
                "description": _text(item, "description", 4000, errors, prefix),
                "method": _text(item, "method", 32, errors, prefix)}
        for required in ("obligor", "description"):
            if not term[required] and prefix + required not in errors:
                errors[prefix + required] = _l("This field is required.")
        if term["method"] and term["method"] not in METHODS:
            errors[prefix + "method"] = _l("Must be one of: %(values)s.", values=", ".join(METHODS))
        amount = item.get("amount")
        term["amount"] = None
        if amount not in (None, ""):
            try:
                value = Decimal(str(amount).strip())
                if not value.is_finite() or value < 0 or value >= Decimal("1e12") \
                        or value != value.quantize(Decimal("0.01")):
                    raise ValueError
                term["amount"] = value.quantize(Decimal("0.01"))
            except (ValueError, ArithmeticError):
                errors[prefix + "amount"] = _l("Must be an amount such as 20000.00.")
        due = item.get("due_date")
        term["due_date"] = None
        if isinstance(due, date):
            term["due_date"] = due
        elif due not in (None, ""):
            try:
                term["due_date"] = date.fromisoformat(str(due).strip())
            except ValueError:
                errors[prefix + "due_date"] = _l("Must be a date such as 2026-12-31.")
        if term["amount"] is not None and not term["obligee"] and prefix + "obligee" not in errors:
            errors[prefix + "obligee"] = _l("Say who receives the payment.")
        out.append(term)
    return out


def draft_agreement(case: Case, actor: Any, data: dict[str, Any]) -> Agreement:
    """Save a new version of the case's agreement and move the case to ``settled``.

    ``data``: ``terms`` [{obligor, obligee?, description, amount?, due_date?, method?}],
    and optionally ``other_terms``, ``facts``, ``points_in_dispute``,
    ``responsibilities``, ``performance``, ``copies``. Facts and points in dispute
    default to the case's own. Earlier unfinished versions (signed or not) are
    superseded: a changed text must be signed again.
    """
    if not policy.can(actor, "case.agreement.draft", case):
        raise Forbidden()
    if case.status not in (lifecycle.IN_MEDIATION, lifecycle.SETTLED):
        raise Conflict(_l("An agreement can be drafted only while the case is in mediation."),
                       code="invalid_transition")
    errors: dict[str, Any] = {}
    terms = _clean_terms(data.get("terms"), errors)
    facts = _text(data, "facts", 20000, errors) or case.facts
    points = _text(data, "points_in_dispute", 10000, errors) or case.points_in_dispute
    responsibilities = _text(data, "responsibilities", 10000, errors)
    other_terms = _text(data, "other_terms", 10000, errors)
    performance = _text(data, "performance", 10000, errors)
    copies = data.get("copies")
    default_copies = len(case.parties) + 1
    if copies in (None, ""):
        copies = default_copies
    else:
        try:
            copies = int(copies)
            if not 1 <= copies <= 50:
                raise ValueError
        except (TypeError, ValueError):
            errors["copies"] = _l("Must be a whole number from 1 to 50.")
    if not (facts or "").strip():
        errors["facts"] = _l("State the main facts of the dispute.")
    if case.mediator_id is None:
        raise RuleBroken(_l("A mediator must be assigned before an agreement is drafted."),
                         code="no_mediator")
    if errors:
        raise BadInput(_l("Some fields are invalid."), fields=errors)

    previous = db.session.execute(
        select(func.max(Agreement.version)).where(Agreement.case_id == case.id)).scalar() or 0
    for old in versions(case):
        if old.status == EFFECTIVE:
            raise Conflict(_l("The agreement is already in effect."), code="agreement_effective")
        if old.status == DRAFT:
            old.status = SUPERSEDED
    agreement = Agreement(case_id=case.id, version=previous + 1, status=DRAFT, facts=facts,
                          points_in_dispute=points, responsibilities=responsibilities,
                          other_terms=other_terms, performance=performance, copies=copies,
                          content_hash="0" * 64, created_by_id=actor.id)
    agreement.terms = [AgreementTerm(position=i + 1, **t) for i, t in enumerate(terms)]
    db.session.add(agreement)
    db.session.flush()
    agreement.content_hash = compute_hash(agreement)
    lifecycle.transition(case, "settle", actor, details={"agreement_version": agreement.version})
    record("agreement.draft", agreement, actor=actor,
           after={"version": agreement.version, "content_hash": agreement.content_hash,
                  "terms": len(terms)})
    _tell_parties(case, "agreement.draft",
                  _l("Settlement agreement ready to sign (case %(number)s)", number=case.number),
                  _l("Version %(n)d of the settlement agreement is ready. Read it, comment on it "
                     "or sign it on the case page.", n=agreement.version),
                  key=f"agreement:{agreement.id}:draft")
    db.session.commit()
    return agreement


def comment(agreement: Agreement, actor: Any, body: str) -> AgreementComment:
    """A party's (or the mediator's) remark on a draft; the mediator answers with a new version."""
    if not policy.can(actor, "agreement.comment", agreement):
        raise Forbidden()
    text = (body or "").strip().replace("\x00", "")
    if not text:
        raise BadInput(_l("Write a comment first."), fields={"body": _l("This field is required.")})
    if len(text) > 4000:
        raise BadInput(_l("Some fields are invalid."),
                       fields={"body": _l("Must be at most %(n)d characters.", n=4000)})
    if agreement.status != DRAFT:
        raise Conflict(_l("Comments are taken on the current draft only."), code="outdated_version")
    note = AgreementComment(agreement_id=agreement.id, user_id=actor.id, body=text)
    db.session.add(note)
    db.session.flush()
    record("agreement.comment", agreement, actor=actor, after={"comment_id": note.id})
    db.session.commit()
    return note


# ---------------------------------------------------------------- signing

def _tell_parties(case: Case, kind: str, title: Any, body: Any, *, key: str, legal: bool = False) -> None:
    """Notify every party (through the cases room's messenger, which calls notifications)."""
    for party in case.parties:
        tell_party(party, kind, str(title), str(body), link=f"/cases/{case.id}/agreement",
                   key=f"{key}:party:{party.id}", legal=legal)


# Signing lives in its own module; callers keep using ``services.sign``.


# Signing lives in its own module; callers keep using ``services.sign``.
from odr.agreements.signing import agreement_number, sign  # noqa: E402, F401
