"""Builders: turn the domain records into each document template's context and issue it.

Each ``issue_*`` function reads only the models (case, agreement, minutes,
confirmation application), checks the data the document cannot do without (a
missing item raises BadInput naming it) and calls ``services.issue_document``. They
flush but do not commit: the caller's transaction owns them. The confirmation room
calls :func:`issue_confirmation_application` and :func:`issue_ruling`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.accounts.models import Role, User
from odr.agreements import services as agreements
from odr.agreements.drawn import data_uri as drawn_image_uri
from odr.agreements.models import Agreement
from odr.cases.models import Agent, Case, CaseParty
from odr.core.errors import BadInput
from odr.core.time import local, now
from odr.documents.models import Document, DocumentKind
from odr.documents.render import DOCUMENT_KINDS, TERMINATION_REASONS
from odr.documents.services import issue_document, require
from odr.extensions import db
from odr.organizations.models import Court
from odr.scheduling.models import MediationSession, Minutes, MinutesConfirmation, SessionAttendee

DISPUTE_TYPES = {
    "family": "婚姻家庭纠纷", "neighbour": "邻里纠纷", "property": "房屋宅基地纠纷",
    "contract": "合同纠纷", "damages": "损害赔偿纠纷", "labour": "劳动争议纠纷",
    "medical": "医疗纠纷", "consumer": "消费纠纷", "traffic": "道路交通事故纠纷",
    "property_management": "物业纠纷", "land_contract": "土地承包经营纠纷", "other": "其他纠纷",
}
#: The title of a court hearing's minutes (the same document kind, issued by the court).
HEARING_RECORD = "询问笔录"
METHOD_WORDS = {"lump_sum": "一次性支付", "instalments": "分期支付", "act": ""}


def _today() -> date:
    return local(now()).date()


def party_dict(party: CaseParty) -> dict[str, Any]:
    agent = db.session.execute(
        select(Agent).where(Agent.party_id == party.id).order_by(Agent.id)).scalars().first()
    return {"name": party.name, "kind": party.kind,
            "id_number": party.id_number or party.credit_code, "phone": party.phone,
            "address": party.address, "legal_representative": party.legal_representative,
            "agent": {"name": agent.name, "description": "委托代理人"} if agent else None}


def _parties(case: Case) -> dict[str, list[dict[str, Any]]]:
    return {"applicants": [party_dict(p) for p in case.applicants()],
            "respondents": [party_dict(p) for p in case.respondents()]}


def _org(case: Case) -> Any:
    org = case.organization
    require({_l("mediation organization"): org})
    return org


def _case_number(case: Case) -> str:
    return case.number or f"ODR-{case.id}"


def _figures_date(moment: Any) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日"


def _names(parties: list[CaseParty]) -> str:
    return "、".join(p.name for p in parties)


# ---------------------------------------------------------------- mediation application

def issue_mediation_application(case: Case, actor: Any = None) -> Document:
    """人民调解申请书 from the intake data (parties, claims, facts)."""
    org = _org(case)
    require({_l("applicant"): case.applicants(), _l("respondent"): case.respondents(),
             _l("facts"): (case.facts or "").strip()})
    ctx = {**_parties(case), "organization": {"name": org.name},
           "dispute_type": DISPUTE_TYPES.get(case.category, "其他纠纷"),
           "claims": [{"text": c.description, "amount": c.amount} for c in case.claims],
           "facts": case.facts, "date": local(case.submitted_at or case.created_at).date()}
    return issue_document(case, DocumentKind.APPLICATION, ctx, number=_case_number(case),
                          title=DOCUMENT_KINDS[DocumentKind.APPLICATION], issuer=org.name, actor=actor)


# ---------------------------------------------------------------- minutes

_SPEAKER = re.compile(r"^\s*([^：:\n]{1,20})[：:](.+)$")


def _record_lines(body: str) -> list[dict[str, str]]:
    """Lines ``姓名：说的话`` become speaker turns; other lines are narrative."""
    out = []
    for line in (body or "").splitlines():
        if not line.strip():
            continue
        match = _SPEAKER.match(line)
        if match:
            out.append({"speaker": match.group(1).strip(), "text": match.group(2).strip()})
        else:
            out.append({"speaker": "", "text": line.strip()})
    return out


def _hearing_court(session: MediationSession, author: User | None) -> dict[str, Any]:
    """A court hearing's record is the court's (询问笔录): the court issues it, the presiding
    judge (the session's "judge" seat) and the clerk who recorded it sign."""
    seats = list(db.session.execute(select(SessionAttendee).where(
        SessionAttendee.session_id == session.id)).scalars())
    judge = next((db.session.get(User, a.user_id) for a in seats if a.role == "judge"), None)
    recorder = author if author is not None and author.role == Role.CLERK else next(
        (u for u in (db.session.get(User, a.user_id) for a in seats if a.role == "clerk")
         if u is not None and u.role == Role.CLERK), None)
    court = db.session.get(Court, judge.court_id) if judge is not None and judge.court_id else None
    require({_l("judge"): judge, _l("court"): court})
    return {"court": court, "judge": judge, "recorder": recorder}


def issue_minutes(minutes: Minutes, actor: Any = None) -> Document:
    """调解笔录 from the Minutes record, its session's attendees and their confirmations;
    询问笔录 issued by the court when the session was the court's hearing."""
    case = db.session.get(Case, minutes.case_id)
    session = db.session.get(MediationSession, minutes.session_id) if minutes.session_id else None
    hearing = _hearing_court(session, db.session.get(User, minutes.author_id)) \
        if session is not None and session.kind == "hearing" else None
    org = _org(case) if hearing is None else None
    started = (session.started_at or session.starts_at) if session else minutes.created_at
    ended = (session.ended_at or session.ends_at) if session else minutes.created_at
    mediator = db.session.get(User, minutes.author_id) if hearing is None else hearing["judge"]
    require({_l("minutes text"): (minutes.body or "").strip(), _l("mediator"): mediator})
    confirmed = {c.user_id: c.confirmed_at for c in db.session.execute(
        select(MinutesConfirmation).where(MinutesConfirmation.minutes_id == minutes.id)).scalars()}
    roles = {p.user_id: ("申请人" if p.side == "applicant" else "被申请人", p.name)
             for p in case.parties if p.user_id}
    for agent in case.agents:
        if agent.user_id:
            roles.setdefault(agent.user_id, ("委托代理人", agent.name))
    attendee_ids = [a.user_id for a in db.session.execute(
        select(SessionAttendee).where(SessionAttendee.session_id == session.id)).scalars()] if session else []
    people = [uid for uid in (attendee_ids or list(roles)) if uid in roles]
    attendees = [{"role": roles[uid][0], "name": roles[uid][1]} for uid in people]
    confirmations = [{"role": roles[uid][0], "name": roles[uid][1], "signed_at": confirmed.get(uid)}
                     for uid in people]
    ctx = {"organization": {"name": org.name} if org else None,
           "case_title": f"{_names(case.applicants())}与{_names(case.respondents())}"
                         f"{DISPUTE_TYPES.get(case.category, '其他纠纷')}",
           "started_at": local(started), "ended_at": local(ended),
           "mediator": {"name": mediator.display_name, "signed_at": local(minutes.created_at)},
           "attendees": attendees, "record": _record_lines(minutes.body),
           "confirmations": [{**c, "signed_at": local(c["signed_at"]) if c["signed_at"] else None}
                             for c in confirmations]}
    if hearing is not None:  # the court, 审判员 and 书记员; only the author's line is signed by saving
        del ctx["mediator"]
        ctx.update(hearing=True, court={"name": hearing["court"].name},
                   **{seat: {"name": user.display_name,
                             "signed_at": local(minutes.created_at) if user.id == minutes.author_id else None}
                      if user is not None else None
                      for seat, user in (("judge", hearing["judge"]), ("recorder", hearing["recorder"]))})
    issuer = hearing["court"].name if hearing is not None else org.name
    return issue_document(case, DocumentKind.MINUTES, ctx, number=_case_number(case),
                          title=HEARING_RECORD if hearing is not None else DOCUMENT_KINDS[DocumentKind.MINUTES],
                          issuer=issuer, minutes=minutes, actor=actor)


# ---------------------------------------------------------------- settlement agreement

def agreement_terms(agreement: Agreement) -> list[dict[str, Any]]:
    """Terms in the template's shapes: a payment needs an amount and a due date."""
    out = []
    for t in sorted(agreement.terms, key=lambda t: t.position):
        if t.amount is not None and t.due_date is not None and t.obligee:
            out.append({"kind": "payment", "obligor": t.obligor, "obligee": t.obligee,
                        "amount": t.amount, "due_date": t.due_date,
                        "method": METHOD_WORDS.get(t.method or "", "") or "转账或现金方式",
                        "description": t.description})
        elif t.amount is not None:
            out.append({"kind": "text", "text": f"{t.obligor}向{t.obligee or ''}支付{t.description}"
                                                f"人民币{t.amount:,.2f}元。"})
        else:
            out.append({"kind": "act", "obligor": t.obligor, "text": _sentence(t.description),
                        "due_date": t.due_date})
    if agreement.other_terms:
        out.append({"kind": "text", "text": _sentence(agreement.other_terms)})
    return out


def _sentence(text: str) -> str:
    """End a clause with 。 unless it already ends with punctuation."""
    text = text.strip()
    return text if not text or text[-1] in "。；;！!？?.…）)" else text + "。"


def term_sentences(agreement: Agreement) -> list[str]:
    """Plain sentences of the terms, as a ruling quotes them."""
    out = []
    for t in agreements_terms_sorted(agreement):
        text = f"{t.obligor}"
        if t.due_date:
            text += f"于{_figures_date(t.due_date)}前"
        if t.amount is not None:
            text += f"向{t.obligee or ''}支付{t.description}人民币{t.amount:,.2f}元"
        else:
            text += t.description
        out.append(text + "。")
    if agreement.other_terms:
        out.append(agreement.other_terms)
    return out


def agreements_terms_sorted(agreement: Agreement) -> list[Any]:
    return sorted(agreement.terms, key=lambda t: t.position)


def issue_agreement(agreement: Agreement, actor: Any = None) -> Document:
    """人民调解协议书 with the e-signatures and, once effective, the seal and number."""
    case = db.session.get(Case, agreement.case_id)
    org = _org(case)
    require({_l("terms"): agreement.terms, _l("facts"): (agreement.facts or "").strip()})
    status = sorted(agreements.signing_status(agreement),
                    key=lambda r: {"applicant": 0, "respondent": 1}.get(r["party"].side, 2) if r["party"] else 3)
    signatures, mediator = [], {"name": "", "signed_at": None}
    for row in status:
        sig = row["signature"]
        signed_at = local(sig.signed_at) if sig else None
        image = drawn_image_uri(sig.image_key) if sig else None  # a data: URI the restricted fetcher allows
        if row["role"] == "mediator":
            mediator = {"name": row["name"], "signed_at": signed_at, "image": image}
        else:
            label = "申请人" if row["party"].side == "applicant" else "被申请人"
            signatures.append({"name": row["name"], "role": label, "signed_at": signed_at, "image": image})
    seal = agreements.seal_signature(agreement)
    points = [line.strip() for line in (agreement.points_in_dispute or "").splitlines() if line.strip()]
    ctx = {**_parties(case), "organization": {"name": org.name},
           "dispute_type": DISPUTE_TYPES.get(case.category, "其他纠纷"),
           "facts": agreement.facts, "issues": points,
           "responsibilities": agreement.responsibilities or "双方当事人对上述事实无异议，自愿承担本协议约定的义务。",
           "terms": agreement_terms(agreement), "performance": agreement.performance,
           "copies": agreement.copies, "signatures": signatures, "mediator": mediator,
           "seal": {"applied_at": local(seal.signed_at)} if seal else None,
           "date": local(agreement.effective_at or agreement.created_at).date()}
    number = agreement.number or f"{_case_number(case)}-协议第{agreement.version}版"
    return issue_document(case, DocumentKind.AGREEMENT, ctx, number=number,
                          title=DOCUMENT_KINDS[DocumentKind.AGREEMENT], issuer=org.name,
                          agreement=agreement, actor=actor)


# ---------------------------------------------------------------- termination notice

def _court_name(case: Case) -> str | None:
    court = case.court or (case.organization.confirmation_court if case.organization else None)
    if court is None and case.organization and case.organization.courts:
        court = case.organization.courts[0]
    return court.name if court else None


def issue_termination_notice(case: Case, *, reason_code: str | None = None,
                             reason_detail: str | None = None, actor: Any = None) -> Document:
    """调解终结书: why mediation ended and the parties' next steps.

    ``reason_code`` is a key of render.TERMINATION_REASONS (default
    ``wide_disagreement``); ``reason_detail`` defaults to the case's end reason.
    """
    org = _org(case)
    detail = reason_detail if reason_detail is not None else case.end_reason
    require({_l("reason"): (detail or "").strip(), _l("applicant"): case.applicants()})
    code = reason_code if reason_code in TERMINATION_REASONS else "wide_disagreement"
    started = case.mediation_started_at or case.accepted_at or case.created_at
    ctx = {**_parties(case), "organization": {"name": org.name},
           "dispute_type": DISPUTE_TYPES.get(case.category, "其他纠纷"),
           "accepted_date": local(case.accepted_at or started).date(),
           "reason_code": code, "reason_detail": detail,
           "process": f"本委员会受理后，指派调解员组织双方当事人进行了调解，"
                      f"自{_figures_date(local(started))}起开展调解工作。",
           "court_name": _court_name(case), "seal": {"applied_at": now()},
           "date": _today()}
    return issue_document(case, DocumentKind.TERMINATION, ctx, number=_case_number(case),
                          title=DOCUMENT_KINDS[DocumentKind.TERMINATION], issuer=org.name, actor=actor)


# ---------------------------------------------------------------- judicial confirmation

def _application_parts(application: Any) -> tuple[Case, Agreement, Court]:
    case = db.session.get(Case, application.case_id)
    agreement = db.session.get(Agreement, application.agreement_id)
    court = db.session.get(Court, application.court_id)
    require({_l("agreement"): agreement, _l("court"): court})
    if agreement.status != agreements.EFFECTIVE or not agreement.number:
        raise BadInput(_l("Only an agreement in effect can be confirmed."), code="agreement_not_effective")
    return case, agreement, court


def _agreement_ref(case: Case, agreement: Agreement) -> dict[str, Any]:
    return {"number": agreement.number, "organization": case.organization.name if case.organization else "",
            "date": local(agreement.effective_at).date()}


def issue_confirmation_application(application: Any, consents: dict[int, Any] | None = None,
                                   actor: Any = None) -> Document:
    """司法确认申请书, joint from all parties, addressed to ``application.court_id``.

    ``application`` is a confirmation.models.ConfirmationApplication (documents does
    not import the confirmation room, which sits downstream); it uses case_id,
    agreement_id (must be effective), court_id, id and submitted_at. ``consents`` maps
    each CaseParty id to the moment that party consented (ConfirmationConsent
    .party_id → .consented_at); each consent is printed as that party's e-signature.
    """
    case, agreement, court = _application_parts(application)
    consents = consents or {}
    parties = case.applicants() + case.respondents()
    ctx = {"court": {"name": court.name}, "applicants": [party_dict(p) for p in parties],
           "agreement": _agreement_ref(case, agreement),
           "facts": agreement.facts,
           "attachments": ["人民调解协议书（" + agreement.number + "）", "各方当事人身份证明",
                           "与调解协议相关的证据材料"],
           "signatures": [{"role": "申请人", "name": p.name,
                           "signed_at": local(consents[p.id]) if p.id in consents else None}
                          for p in parties],
           "date": local(application.submitted_at or now()).date()}
    return issue_document(case, DocumentKind.CONFIRMATION_APPLICATION, ctx, number=agreement.number,
                          title=DOCUMENT_KINDS[DocumentKind.CONFIRMATION_APPLICATION],
                          issuer=_names(parties), confirmation=application, actor=actor)


def issue_ruling(application: Any, actor: Any = None) -> Document:
    """民事裁定书 (confirmed or rejected) issued by the court.

    Uses: ruling_number (required), decision ("confirm" | "reject"), grounds (keys of
    render.REJECTION_GROUNDS, for a rejection), reason (the court's reasoning),
    judge_id (required), clerk_id, submitted_at (filing date), decided_at.
    """
    case, agreement, court = _application_parts(application)
    judge = db.session.get(User, application.judge_id) if application.judge_id else None
    clerk = db.session.get(User, application.clerk_id) if application.clerk_id else None
    require({_l("ruling number"): application.ruling_number, _l("judge"): judge,
             _l("decision"): application.decision if application.decision in ("confirm", "reject") else None})
    outcome = "confirmed" if application.decision == "confirm" else "rejected"
    if outcome == "rejected":
        require({_l("grounds"): application.grounds})
    ctx = {"court": {"name": court.name},
           "applicants": [party_dict(p) for p in case.applicants() + case.respondents()],
           "agreement": _agreement_ref(case, agreement), "agreement_terms": term_sentences(agreement),
           "filed_date": local(application.submitted_at or application.created_at).date(),
           "outcome": outcome, "rejection_grounds": list(application.grounds or []),
           "rejection_detail": application.reason, "judge": {"name": judge.display_name},
           "clerk": {"name": clerk.display_name if clerk else ""}, "seal": True,
           "date": local(application.decided_at or now()).date()}
    return issue_document(case, DocumentKind.RULING, ctx, number=application.ruling_number,
                          title=DOCUMENT_KINDS[DocumentKind.RULING], issuer=court.name,
                          confirmation=application, actor=actor)
