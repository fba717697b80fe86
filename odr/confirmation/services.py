"""Judicial confirmation, the parties' side: consent (joint application), materials, withdrawal.

The court's side (accept, not accept, materials requests, judge, ruling) is in
``odr.confirmation.court`` and re-exported here, so callers import one module. Every
function checks the state and the law, writes the change and its audit event, leaves
its deadlines and notices, and commits — or raises and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.accounts.models import User
from odr.agreements.models import Agreement
from odr.audit.services import record
from odr.cases.models import Case, CaseParty
from odr.confirmation import rules
from odr.confirmation.court import (  # noqa: F401  (one import point for callers)
    accept,
    assign_judge,
    court_staff,
    not_accept,
    request_materials,
    rule,
)
from odr.confirmation.models import ConfirmationApplication, ConfirmationConsent
from odr.confirmation.outputs import tell
from odr.confirmation.paperwork import assemble_packet, issue_application
from odr.core.errors import BadInput, Conflict, Forbidden, RuleBroken
from odr.core.time import local, now
from odr.extensions import db
from odr.organizations.models import Court
from odr.scheduling.deadlines import close_deadlines, set_deadline

__all__ = ["accept", "active_application", "assign_judge", "consent", "court_staff", "latest_application",
           "not_accept", "request_materials", "rule", "supply_materials", "window_closed_message",
           "withdraw", "lapse_windows"]


def latest_application(case: Case) -> ConfirmationApplication | None:
    return db.session.execute(
        select(ConfirmationApplication).where(ConfirmationApplication.case_id == case.id)
        .order_by(ConfirmationApplication.id.desc()).limit(1)).scalar_one_or_none()


def active_application(case: Case) -> ConfirmationApplication | None:
    """The case's application that is still alive (at most one at a time)."""
    return db.session.execute(
        select(ConfirmationApplication).where(ConfirmationApplication.case_id == case.id,
                                              ConfirmationApplication.status.in_(rules.ACTIVE))
        .order_by(ConfirmationApplication.id.desc()).limit(1)).scalar_one_or_none()


def window_closed_message(case: Case) -> str:
    """What the parties are told once the 30-day window (B §205) has passed."""
    ends = rules.window_ends(case.effective_at)
    return str(_l(
        "The 30-day period for applying for judicial confirmation ended on %(date)s, so a court can "
        "no longer confirm this agreement. The agreement still binds both sides. If the other side "
        "does not perform, you may ask a mediation organization to mediate again and reach a new "
        "agreement, or sue at the people's court on the agreement.",
        date=format_date(local(ends).date()) if ends else "—"))


def _effective_agreement(case: Case) -> Agreement:
    agreement = db.session.execute(
        select(Agreement).where(Agreement.case_id == case.id, Agreement.status == "effective")
        .order_by(Agreement.version.desc()).limit(1)).scalar_one_or_none()
    if agreement is None:
        raise Conflict(_l("There is no agreement in effect to confirm yet."), code="no_effective_agreement")
    return agreement


def _represented_parties(case: Case, actor: User) -> list[CaseParty]:
    """The parties ``actor`` consents for: themselves, and those they are agent for.

    An agent acts only with a power of attorney on file (C §351; D §3: 授权委托书).
    """
    own = [p for p in case.parties if p.user_id == actor.id]
    agents = [a for a in case.agents if a.user_id == actor.id]
    if agents and not own and all(a.power_of_attorney_id is None for a in agents):
        raise RuleBroken(_l("An agent can apply only with a power of attorney on file. Upload the signed "
                            "power of attorney first."), code="power_of_attorney_missing")
    parties = own + [a.party for a in agents if a.power_of_attorney_id is not None and a.party not in own]
    if not parties:
        raise Forbidden(_l("Only the parties or their agents can apply for judicial confirmation."))
    return parties


def _choose_court(case: Case, court_id: int | None, lawful: list[Court]) -> Court:
    if not lawful:
        raise RuleBroken(_l("No court is configured to confirm agreements of this mediation organization. "
                            "Ask the organization which court has jurisdiction."), code="no_competent_court")
    if court_id is None:
        return lawful[0]
    chosen = next((c for c in lawful if c.id == court_id), None)
    if chosen is None:
        raise BadInput(_l("This court is not one the law allows for this agreement."),
                       code="court_not_allowed", fields={"court_id": _l("Choose one of the courts offered.")})
    return chosen


def consent(case: Case, actor: User, *, court_id: int | None = None) -> ConfirmationApplication:
    """Record ``actor``'s consent to apply jointly; submit once every party consented.

    B §205 needs a joint application within 30 days of the agreement taking effect: the
    first consent opens the application (pending_consent), and only when every party has
    consented inside the window does it go to the court. A party alone never submits.
    """
    ends = rules.window_ends(case.effective_at)
    if ends is not None and now() > ends:
        raise RuleBroken(window_closed_message(case), code="confirmation_window_closed")
    if case.status != "agreement_effective":
        raise Conflict(_l("Judicial confirmation can be applied for only once the agreement is in effect."),
                       code="invalid_state")
    agreement = _effective_agreement(case)
    parties = _represented_parties(case, actor)
    application = active_application(case)
    previous = latest_application(case)
    if application is None and previous is not None and previous.status in (rules.CONFIRMED, rules.REJECTED):
        raise Conflict(_l("The court has already ruled on this agreement."), code="already_ruled")
    lawful = rules.lawful_courts(case)
    if application is None:
        court = _choose_court(case, court_id, lawful)
        application = ConfirmationApplication(case_id=case.id, agreement_id=agreement.id, court_id=court.id,
                                              status=rules.PENDING, warnings=[], grounds=[], packet={})
        db.session.add(application)
        db.session.flush()
        record("confirmation.open", application, actor=actor, after={"court_id": court.id})
    elif application.status != rules.PENDING:
        raise Conflict(_l("The application has already been sent to the court."), code="already_submitted")
    elif court_id is not None and court_id != application.court_id:
        raise Conflict(_l("The other party chose a different court. A joint application goes to one court: "
                          "consent to the court already chosen, or agree on the court with the other party."),
                       code="court_differs")
    done = {c.party_id for c in application.consents}
    new = [p for p in parties if p.id not in done]
    if not new:
        raise Conflict(_l("You have already consented. The application goes to the court when every party "
                          "has consented."), code="already_consented")
    moment = now()
    for party in new:
        application.consents.append(ConfirmationConsent(party_id=party.id, user_id=actor.id, consented_at=moment))
    court = db.session.get(Court, application.court_id)
    application.warnings = rules.precheck(case, agreement, court, lawful)
    db.session.flush()
    record("confirmation.consent", application, actor=actor,
           after={"parties": [p.id for p in new], "warnings": [w["code"] for w in application.warnings]})
    waiting = [p for p in case.parties if p.id not in done | {p.id for p in new}]
    if waiting:
        for party in waiting:
            tell(party.user, "confirmation_consent", _l("Please consent to apply for judicial confirmation"),
                 _l("The other party has consented to apply jointly for judicial confirmation of the agreement. "
                    "The application goes to the court only when you consent too, before %(date)s.",
                    date=format_date(local(rules.window_ends(case.effective_at) or moment).date())),
                 case=case, link=f"/confirmations/{application.id}")
    else:
        _submit(application, actor)
    db.session.commit()
    return application


def _submit(application: ConfirmationApplication, actor: User) -> None:
    """All consented: file with the court, with the packet and the 3-day acceptance clock (D §4)."""
    moment = now()
    application.status = rules.SUBMITTED
    application.submitted_at = moment
    application.packet = assemble_packet(application)
    db.session.flush()
    doc = issue_application(application)
    application.packet = {**application.packet, "application_document_id": doc.id}
    close_deadlines(case=application.case, kinds=(rules.DL_WINDOW,))
    set_deadline(rules.DL_ACCEPTANCE, moment + timedelta(days=rules.ACCEPTANCE_DAYS), confirmation=application,
                 note="D §4")
    record("confirmation.submit", application, actor=actor,
           before={"status": rules.PENDING}, after={"status": rules.SUBMITTED, "court_id": application.court_id,
                                                   "document_id": doc.id})
    case = application.case
    for user in court_staff(application.court_id):
        tell(user, "confirmation_new", _l("New judicial confirmation application"),
             _l("Case %(number)s: decide within 3 days whether to accept.", number=case.number or case.id),
             case=case, link=f"/confirmations/{application.id}")
    for party in case.parties:
        tell(party.user, "confirmation_submitted", _l("Application sent to the court"),
             _l("Your joint application for judicial confirmation was sent to %(court)s.",
                court=application.court.name), case=case, link=f"/confirmations/{application.id}", legal=True,
             document=doc)


def supply_materials(application: ConfirmationApplication, actor: User, note: str) -> ConfirmationApplication:
    """The parties answer a materials request; the court's clock resumes where it paused."""
    if application.status != rules.AWAITING:
        raise Conflict(_l("The court has not asked for materials."), code="invalid_state")
    note = (note or "").strip()
    if not note:
        raise BadInput(_l("Say what you supplied."), fields={"note": _l("This field is required.")})
    moment = now()
    for req in application.materials_requests:
        if req.fulfilled_at is None:
            req.fulfilled_at, req.response = moment, note[:4000]
    close_deadlines(confirmation=application, kinds=(rules.DL_MATERIALS,))
    if application.accepted_at is None:
        application.status = rules.SUBMITTED
        set_deadline(rules.DL_ACCEPTANCE, moment + timedelta(days=rules.ACCEPTANCE_DAYS), confirmation=application,
                     note="D §4; C §354")
    else:
        application.status = rules.ACCEPTED
    record("confirmation.materials_supplied", application, actor=actor,
           before={"status": rules.AWAITING}, after={"status": application.status, "note": note[:500]})
    for user in court_staff(application.court_id):
        tell(user, "confirmation_materials", _l("Materials supplied"), note[:500], case=application.case,
             link=f"/confirmations/{application.id}")
    db.session.commit()
    return application


def withdraw(application: ConfirmationApplication, actor: User, reason: str | None = None) -> ConfirmationApplication:
    """A party withdraws before the ruling (C §357; D §5 para 2); the court keeps the record."""
    if application.status not in rules.ACTIVE:
        raise Conflict(_l("The application can no longer be withdrawn."), code="invalid_state")
    before = application.status
    application.status = rules.WITHDRAWN
    application.withdrawn_at = now()
    application.withdrawn_by_id = actor.id
    application.withdraw_reason = (reason or "").strip()[:2000] or None
    close_deadlines(confirmation=application, status="cancelled")
    record("confirmation.withdraw", application, actor=actor, before={"status": before},
           after={"status": rules.WITHDRAWN, "reason": application.withdraw_reason})
    case = application.case
    recipients = [p.user for p in case.parties if p.user_id and p.user_id != actor.id]
    if before != rules.PENDING:
        recipients += court_staff(application.court_id)
    for user in recipients:
        tell(user, "confirmation_withdrawn", _l("Judicial confirmation application withdrawn"),
             _l("%(name)s withdrew the application for case %(number)s.", name=actor.display_name,
                number=case.number or case.id), case=case, link=f"/confirmations/{application.id}")
    db.session.commit()
    return application


def lapse_windows() -> int:
    """Scheduler job: close effective-agreement cases whose 30-day window passed unused.

    The lifecycle moves agreement_effective → closed when the window is over (DESIGN.md);
    the parties are told plainly what they can still do. Returns how many cases closed.
    """
    from odr.cases.lifecycle import transition

    count = 0
    cutoff = now() - timedelta(days=rules.WINDOW_DAYS)
    cases = db.session.execute(select(Case).where(Case.status == "agreement_effective",
                                                  Case.effective_at < cutoff)).scalars().all()
    for case in cases:
        if active_application(case) is not None:
            continue
        transition(case, "close", None, reason="confirmation window over", check_policy=False)
        for party in case.parties:
            tell(party.user, "confirmation_window_closed", _l("Judicial confirmation no longer available"),
                 window_closed_message(case), case=case, key=f"confirmation-window:{case.id}:{party.id}")
        count += 1
    db.session.commit()
    return count
