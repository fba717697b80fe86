"""Invitation links for respondents (and for parties of a court diversion).

The raw token is random (256 bits) and goes only into the link sent to the person;
the database keeps its SHA-256, so a database reader cannot build links. A link is
single use and expires after INVITATION_TTL_DAYS. Claiming binds the caller's account
to the party the invitation was made for.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.accounts.models import Role
from odr.audit.services import record
from odr.cases.messages import public_url, tell_party
from odr.cases.models import Case, CaseParty, Invitation
from odr.core.errors import BadInput, Conflict, NotFound, RuleBroken
from odr.core.time import ensure_aware, now
from odr.extensions import db
from odr.organizations.models import Organization


def _org_name(case: Case) -> str:
    org = db.session.get(Organization, case.organization_id) if case.organization_id else None
    return org.name if org else ""


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def invitation_path(raw: str) -> str:
    return f"/invitations/{raw}"


def issue_invitations(case: Case, *, side: str = "respondent", actor: Any = None,
                      commit: bool = True) -> list[tuple[CaseParty, str]]:
    """Create a fresh link for every party of ``side`` without an account and send it.

    Returns (party, raw token) pairs; the raw tokens are not stored anywhere.
    """
    ttl = timedelta(days=current_app.config["INVITATION_TTL_DAYS"])
    issued: list[tuple[CaseParty, str]] = []
    for party in case.parties:
        if party.side != side or party.user_id is not None:
            continue
        raw = secrets.token_urlsafe(32)
        inv = Invitation(case_id=case.id, party_id=party.id, token_hash=token_hash(raw),
                         expires_at=now() + ttl)
        db.session.add(inv)
        db.session.flush()
        record("invitation.issue", inv, actor=actor, case_id=case.id,
               after={"party_id": party.id, "side": side, "expires_at": inv.expires_at.isoformat(),
                      "channels": [c for c, v in (("email", party.email), ("sms", party.phone)) if v]})
        link = public_url(invitation_path(raw))
        if side == "respondent":
            title = _("Invitation to mediation: case %(number)s", number=case.number or case.id)
            body = _("%(applicant)s has applied for mediation of a dispute with you at %(org)s. "
                     "Open this link to read the application and agree or decline: %(link)s",
                     applicant=", ".join(p.name for p in case.applicants()),
                     org=_org_name(case), link=link)
        else:
            title = _("Your case %(number)s was referred to mediation", number=case.number or case.id)
            body = _("The court referred your dispute to %(org)s for mediation before trial. "
                     "Open this link to take part: %(link)s",
                     org=_org_name(case), link=link)
        tell_party(party, "case.invitation", title, body, link=invitation_path(raw),
                   key=f"invitation:{inv.id}", legal=True)
        issued.append((party, raw))
    if commit:
        db.session.commit()
    return issued


def find_invitation(raw: str) -> Invitation:
    """The invitation of a link, or a clear error: unknown (tampered), used, expired."""
    if not raw or len(raw) > 200:
        raise NotFound(_l("This invitation link is not valid. Check that you copied the whole link."),
                       code="invitation_invalid")
    inv = db.session.execute(select(Invitation).where(Invitation.token_hash == token_hash(raw))).scalar_one_or_none()
    if inv is None:
        raise NotFound(_l("This invitation link is not valid. Check that you copied the whole link."),
                       code="invitation_invalid")
    if inv.claimed_at is not None:
        raise Conflict(_l("This invitation link has been used already. Log in to see the case."),
                       code="invitation_used")
    if ensure_aware(inv.expires_at) <= now():
        raise RuleBroken(_l("This invitation link has expired. Ask the mediation organization to send a new one."),
                         code="invitation_expired")
    return inv


def claim_invitation(raw: str, user: Any) -> CaseParty:
    """Make ``user`` the party the invitation was made for; the link is used up."""
    inv = find_invitation(raw)
    if user is None or not getattr(user, "is_authenticated", False):
        raise BadInput(_l("Log in first."), code="login_required")
    if user.role != Role.PARTY:
        raise Conflict(_l("Staff accounts cannot take part as a party. Log in with a personal account."),
                       code="invitation_wrong_account")
    party = db.session.get(CaseParty, inv.party_id)
    if party.user_id is not None and party.user_id != user.id:
        raise Conflict(_l("Someone else has already taken this place in the case."), code="invitation_used")
    other_side = db.session.execute(
        select(CaseParty.id).where(CaseParty.case_id == inv.case_id, CaseParty.user_id == user.id,
                                   CaseParty.side != party.side)).first()
    if other_side:
        raise Conflict(_l("You are on the other side of this case and cannot also answer for this party."),
                       code="invitation_wrong_account")
    # Lock-free single use: the UPDATE only succeeds while the row is unclaimed.
    moment = now()
    done = db.session.execute(
        Invitation.__table__.update()
        .where(Invitation.id == inv.id, Invitation.claimed_at.is_(None))
        .values(claimed_at=moment, claimed_by_id=user.id)
    ).rowcount
    if done != 1:
        db.session.rollback()
        raise Conflict(_l("This invitation link has been used already. Log in to see the case."),
                       code="invitation_used")
    party.user_id = user.id
    record("invitation.claim", inv, actor=user, case_id=inv.case_id,
           after={"party_id": party.id, "side": party.side, "user_id": user.id})
    db.session.commit()
    return party
