"""E-signing an agreement version, and what happens when the last signature lands.

Split from services.py (drafting and reading) because signing has its own rules: the
re-entered password, who signs in which capacity, the parties before the mediator, the
organization's e-seal, the agreement number, and the case taking effect.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.accounts import policy
from odr.accounts.services import check_password_for
from odr.agreements import codes, drawn
from odr.agreements.models import Agreement, Signature, SigningCode
from odr.agreements.services import EFFECTIVE, SUPERSEDED, _tell_parties, compute_hash, signing_status
from odr.audit.services import record
from odr.cases import lifecycle
from odr.cases.models import Agent, Case
from odr.cases.routing import number_prefix
from odr.core.errors import BadInput, Conflict, Forbidden, RuleBroken
from odr.core.sequences import next_value
from odr.core.signals import agreement_effective
from odr.core.time import local, now
from odr.extensions import db


def _capacities(agreement: Agreement, case: Case, actor: Any) -> list[tuple[str, int | None]]:
    """The (role, party_id) pairs ``actor`` may still sign this version in."""
    signed_parties = {s.party_id for s in agreement.signatures if s.role in ("party", "agent")}
    out: list[tuple[str, int | None]] = []
    for party in case.parties:
        if party.user_id == actor.id and party.id not in signed_parties:
            out.append(("party", party.id))
    agent_parties = db.session.execute(
        select(Agent.party_id).where(Agent.case_id == case.id, Agent.user_id == actor.id)).scalars()
    for party_id in agent_parties:
        if party_id not in signed_parties and ("party", party_id) not in out:
            out.append(("agent", party_id))
    if case.mediator_id == actor.id and not any(s.role == "mediator" for s in agreement.signatures):
        out.append(("mediator", None))
    return out


def sign(agreement: Agreement, actor: Any, password: str, *, ip: str | None = None,
         user_agent: str | None = None, expected_hash: str | None = None,
         code: str | None = None, signature_image: str | bytes | None = None) -> list[Signature]:
    """Sign ``agreement`` as ``actor`` after re-checking their password.

    A party signs for their own party record, an agent for the party they represent,
    the mediator once, after every party. ``expected_hash`` is the hash the signer was
    shown; if the version changed meanwhile the signature is refused (409). Where
    signing codes are configured (odr.agreements.codes) ``code`` must be the one-time
    code sent to the signer. ``signature_image`` is an optional drawn signature (PNG
    as a data: URL, base64 or bytes, see odr.agreements.drawn). Returns the signatures
    made; the last one makes the agreement effective.
    """
    if not policy.can(actor, "agreement.sign", agreement):
        raise Forbidden()
    image = drawn.clean(signature_image)  # bad input is refused before any work or write
    case = db.session.get(Case, agreement.case_id)
    if agreement.status == SUPERSEDED:
        raise Conflict(_l("This version has been replaced by a newer one. Read and sign the current version."),
                       code="outdated_version")
    if agreement.status == EFFECTIVE:
        raise Conflict(_l("The agreement is already in effect."), code="agreement_effective")
    if expected_hash is not None and expected_hash != agreement.content_hash:
        raise Conflict(_l("The text changed after you opened it. Read and sign the current version."),
                       code="outdated_version")
    if compute_hash(agreement) != agreement.content_hash:
        raise Conflict(_l("This version no longer matches what was drafted; it cannot be signed."),
                       code="content_changed")
    if not check_password_for(actor, password):
        raise BadInput(_l("The password is not correct."), code="wrong_password",
                       fields={"password": _l("The password is not correct.")})
    wanted = _capacities(agreement, case, actor)
    if not wanted:
        raise Conflict(_l("You have already signed this version."), code="already_signed")
    parties_done = {s.party_id for s in agreement.signatures if s.role in ("party", "agent")}
    parties_done.update(pid for role, pid in wanted if role != "mediator")
    if any(role == "mediator" for role, _ in wanted) and \
            any(p.id not in parties_done for p in case.parties):
        wanted = [w for w in wanted if w[0] != "mediator"]
        if not wanted:
            raise RuleBroken(_l("The mediator signs after every party has signed."),
                             code="parties_sign_first")
    code_row = codes.check(agreement, actor, code)  # None when codes are off
    image_key = drawn.store(image) if image else None
    try:
        made = _store_signatures(agreement, case, actor, wanted, ip=ip, user_agent=user_agent,
                                 image_key=image_key, code_row=code_row)
    except BaseException:
        if image_key:  # the signature was not stored: neither is its image
            drawn.discard(image_key)
        raise
    return made


def _store_signatures(agreement: Agreement, case: Case, actor: Any, wanted: list[tuple[str, int | None]], *,
                      ip: str | None, user_agent: str | None, image_key: str | None,
                      code_row: SigningCode | None) -> list[Signature]:
    """One transaction: the signatures, the spent code, the audit events, and the effect."""
    moment = now()
    made = []
    for role, party_id in wanted:
        sig = Signature(agreement_id=agreement.id, user_id=actor.id, role=role, party_id=party_id,
                        signed_at=moment, ip=(ip or "")[:64] or None,
                        user_agent=(user_agent or "")[:400] or None,
                        content_hash=agreement.content_hash, image_key=image_key)
        agreement.signatures.append(sig)
        made.append(sig)
    if code_row is not None:
        codes.consume(code_row)
    db.session.flush()
    for sig in made:
        record("agreement.sign", agreement, actor=actor,
               after={"version": agreement.version, "role": sig.role, "party_id": sig.party_id,
                      "content_hash": sig.content_hash, "ip": sig.ip,
                      "verified_by": ["password", "code"] if code_row is not None else ["password"],
                      "drawn_image": bool(image_key)})
    if all(row["signature"] is not None for row in signing_status(agreement)):
        _take_effect(agreement, case, actor)
    db.session.commit()
    return made


def agreement_number(case: Case, year: int, seq: int) -> str:
    """``(2026)诸暨人调协字第15号``: per organization and year, with the same prefix as the
    case numbers (odr.cases.routing.number_prefix) but 协 added, because case numbers
    already use ``人调字`` and the two sequences must never print the same number."""
    org = case.organization
    prefix = number_prefix(org)
    number = f"({year}){prefix}人调协字第{seq}号"
    clash = db.session.execute(select(Agreement.id).where(Agreement.number == number)).first()
    if clash:  # two organizations with the same short name
        number = f"({year}){prefix}{org.id}人调协字第{seq}号"
    return number


def _take_effect(agreement: Agreement, case: Case, actor: Any) -> None:
    """Seal, number, make effective; the case follows and the documents room renders the PDF."""
    if case.organization_id is None:
        raise RuleBroken(_l("The case has no mediation organization to seal the agreement."),
                         code="no_organization")
    moment = now()
    agreement.signatures.append(Signature(
        agreement_id=agreement.id, user_id=actor.id, role="seal", signed_at=moment,
        content_hash=agreement.content_hash))
    year = local(moment).year
    seq = next_value(f"agreement:{case.organization_id}", year)
    agreement.number = agreement_number(case, year, seq)
    agreement.sealed_at = moment
    agreement.effective_at = moment
    agreement.status = EFFECTIVE
    db.session.flush()
    record("agreement.effective", agreement, actor=actor,
           after={"version": agreement.version, "number": agreement.number,
                  "content_hash": agreement.content_hash})
    lifecycle.transition(case, "agreement_effective", None, check_policy=False,
                         details={"agreement_number": agreement.number})
    _tell_parties(case, "agreement.effective",
                  _l("Settlement agreement %(number)s is in effect", number=agreement.number),
                  _l("Every party and the mediator have signed and the organization's seal is applied. "
                     "Within 30 days the parties may jointly apply to the court for judicial confirmation."),
                  key=f"agreement:{agreement.id}:effective", legal=True)
    agreement_effective.send(agreement, case=case)
