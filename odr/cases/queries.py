"""Read helpers for the case pages: directories, lists, what the viewer may see and do.

Nothing here writes. The services decide what is allowed when an action is tried; these
functions only decide what to *offer* (which buttons to show), from the same policy and
life-cycle tables, so a page never offers an action the service would refuse outright.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import load_only

from odr.accounts import policy
from odr.accounts.identity import mask_id_number
from odr.accounts.models import Role, User
from odr.audit.models import AuditEvent
from odr.cases import lifecycle
from odr.cases.models import Case, CaseParty, Transfer
from odr.cases.serialize import case_events
from odr.core.time import now
from odr.extensions import db
from odr.mediators.directory import region_prefix
from odr.mediators.models import MediatorProfile
from odr.organizations.models import Court, Organization, OrgLevel, organization_court

#: capacities that see identity numbers and contact details of every party
STAFF = frozenset({"mediator", "booked_mediator", "org_admin", "court", "admin"})


def active_organizations() -> list[Organization]:
    """Every active organization, nearest region first. Only for small platforms and the
    API's needs: pages offer ``*_choices`` below, which stay bounded at province scale."""
    return list(db.session.execute(select(Organization).where(Organization.active.is_(True))
                                   .order_by(Organization.region_code, Organization.id)).scalars())


def active_mediators() -> list[tuple[MediatorProfile, User]]:
    """(profile, user) of every active mediator (unbounded: pages use ``mediator_choices``)."""
    return list(db.session.execute(
        select(MediatorProfile, User).join(User, User.id == MediatorProfile.user_id)
        .where(MediatorProfile.status == "active").order_by(MediatorProfile.organization_id, User.id)).tuples())


def my_cases(user: Any, status: str | None = None, limit: int = 200) -> list[Case]:
    q = policy.visible_cases(user).order_by(Case.id.desc()).limit(limit)
    if status:
        q = q.where(Case.status == status)
    return list(db.session.execute(q).scalars())


def intake_queue(user: Any, recent_days: int = 30) -> tuple[list[Case], list[Case]]:
    """The admin's submitted cases (oldest first: first come, first served) and the
    decisions of the last ``recent_days`` days."""
    pending = list(db.session.execute(
        policy.visible_cases(user).where(Case.status == lifecycle.SUBMITTED)
        .order_by(Case.submitted_at, Case.id)).scalars())
    since = now() - timedelta(days=recent_days)
    decided = list(db.session.execute(
        policy.visible_cases(user).where(Case.status != lifecycle.SUBMITTED, Case.status != lifecycle.DRAFT,
                                         Case.submitted_at.is_not(None), Case.updated_at >= since)
        .order_by(Case.updated_at.desc()).limit(50)).scalars())
    return pending, decided


def transferred_away(user: Any, limit: int = 20) -> list[Transfer]:
    """Cases this admin's organization sent elsewhere (they no longer see the case itself)."""
    if getattr(user, "organization_id", None) is None:
        return []
    return list(db.session.execute(
        select(Transfer).where(Transfer.from_organization_id == user.organization_id, Transfer.kind == "transfer")
        .order_by(Transfer.id.desc()).limit(limit)).scalars())


@dataclass
class PartyView:
    """A party as the viewer may see them: identity numbers masked unless staff or self."""

    party: CaseParty
    id_number: str
    credit_code: str
    show_contacts: bool
    agents: list[Any] = field(default_factory=list)


def party_views(case: Case, viewer: Any) -> list[PartyView]:
    rel = policy.case_relations(viewer, case)
    staff = bool(rel & STAFF)
    out = []
    for p in case.parties:
        own = p.user_id is not None and p.user_id == getattr(viewer, "id", None)
        full = staff or own
        out.append(PartyView(
            party=p, id_number=(p.id_number or "") if full else mask_id_number(p.id_number),
            credit_code=p.credit_code or "", show_contacts=full,
            agents=[a for a in case.agents if a.party_id == p.id]))
    return out


def my_pending_respondent(case: Case, viewer: Any) -> bool:
    """Is the viewer a respondent (or their agent) who has not answered yet?"""
    uid = getattr(viewer, "id", None)
    if uid is None:
        return False
    agent_party_ids = {a.party_id for a in case.agents if a.user_id == uid}
    return any(p.side == "respondent" and p.consent == "pending" and (p.user_id == uid or p.id in agent_party_ids)
               for p in case.parties)


def next_steps(case: Case, viewer: Any) -> list[str]:
    """Keys of the steps the viewer can take now (the template words them)."""
    rel = policy.case_relations(viewer, case)
    steps: list[str] = []
    applicant_side = bool(rel & {"filer", "applicant", "agent_applicant"})
    status = case.status
    if status == lifecycle.DRAFT and applicant_side:
        steps += ["complete_and_submit"]
    if status == lifecycle.SUBMITTED:
        steps += ["review_intake"] if "org_admin" in rel else (["wait_review"] if applicant_side else [])
    if status == lifecycle.ACCEPTED:
        if my_pending_respondent(case, viewer):
            steps.append("respond")
        elif applicant_side:
            steps.append("wait_respondent")
        elif rel & {"respondent", "agent_respondent"}:
            steps.append("wait_other_respondents")
    if status == lifecycle.IN_MEDIATION:
        if "org_admin" in rel and case.mediator_id is None:
            steps.append("assign_mediator")
        if rel & {"party", "agent", "filer"}:
            steps += ["upload_evidence", "attend_sessions"]
        if "mediator" in rel:
            steps.append("mediate")
    if status == lifecycle.SETTLED and rel & {"party", "agent", "mediator"}:
        steps.append("sign_agreement")
    if status == lifecycle.AGREEMENT_EFFECTIVE and rel & {"party", "agent"}:
        steps.append("apply_confirmation")
    if status in (lifecycle.DECLINED, lifecycle.FAILED, lifecycle.REJECTED) and rel & {"party", "agent", "filer"}:
        steps.append("ended_next_steps")
    return steps


def offered_actions(case: Case, viewer: Any) -> set[str]:
    """Case-page buttons: the policy allows the action and the life cycle allows the event."""
    offered: set[str] = set()
    for event, action in (("submit", "case.submit"), ("withdraw", "case.withdraw"), ("accept", "case.accept"),
                          ("reject", "case.reject"), ("transfer", "case.transfer"), ("fail", "case.fail")):
        if lifecycle.can_transition(case, event) and policy.can(viewer, action, case):
            offered.add(event)
    if case.status == lifecycle.DRAFT and policy.can(viewer, "case.edit", case):
        offered.add("edit")
    if case.status == lifecycle.ACCEPTED and my_pending_respondent(case, viewer) \
            and policy.can(viewer, "case.respond", case):
        offered.add("respond")
    if case.status not in ("rejected", "declined", "withdrawn", "closed") \
            and policy.can(viewer, "case.evidence.upload", case):
        offered.add("upload")
    return offered


#: audit actions never shown on the case page (private material, bookkeeping)
_HIDDEN_ACTIONS = ("case.update_draft", "token.", "user.login")
_PRIVATE_WORDS = ("caucus", "private", "note")


def timeline(case: Case, viewer: Any) -> list[AuditEvent]:
    """The case's audit events the viewer may see: no caucus or private material, no
    uploads of evidence they may not see."""
    from odr.evidence.models import Evidence

    out = []
    for e in case_events(case):
        if e.action.startswith(_HIDDEN_ACTIONS) or any(w in e.action for w in _PRIVATE_WORDS):
            continue
        if e.object_type == "evidence" and e.object_id:
            ev = db.session.get(Evidence, int(e.object_id)) if e.object_id.isdigit() else None
            if ev is None or not policy.can(viewer, "evidence.view", ev):
                continue
        out.append(e)
    return out


def is_court_staff(user: Any) -> bool:
    return getattr(user, "role", None) in Role.COURT


# ------------------------------------------------------------ bounded choice lists
# A province has 11.3k organizations and 51.7k mediators: a <select> of all of them is
# megabytes of HTML and seconds of rendering, and useless to a person anyway. Pages list
# the relevant ones (near the case, the applicant or the court), at most ORG_CHOICES_CAP,
# and offer a search; a small platform (a county's 127) keeps its whole list. The lists
# are a convenience only: the services accept any active organization the user may pick.

#: the longest organization list a page offers; a larger platform gets the nearby ones and a search
ORG_CHOICES_CAP = 300
#: the longest preferred-mediator list (a county's whole roster, 648 in Zhuji, still fits)
MEDIATOR_CHOICES_CAP = 1000


@dataclass
class OrgChoices:
    """The options of an organization <select> and what the page should say about them."""

    organizations: list[Organization]
    total: int  # active organizations on the platform
    complete: bool  # every active organization is listed (a small platform): no search needed
    cut: bool = False  # more matched than the cap: the page asks to narrow the search
    query: str = ""  # the search that chose them; "" = the nearby ones


@dataclass
class MediatorChoices:
    """Preferred-mediator options: active mediators of the listed organizations."""

    rows: list[Any]  # rows of (id, display_name, organization_id)
    org_names: dict[int, str]  # organization id → name, for "name · organization" labels
    cut: bool = False


def _active() -> Select:
    """Active organizations, loading only what a choice list shows (no JSON, no text blobs)."""
    return select(Organization).where(Organization.active.is_(True)).options(
        load_only(Organization.name, Organization.region_code, Organization.level, Organization.parent_id,
                  Organization.active))


def _ordered(q: Select, limit: int = ORG_CHOICES_CAP + 1) -> list[Organization]:
    return list(db.session.execute(q.order_by(Organization.region_code, Organization.id).limit(limit)).scalars())


def _in_area(code: str) -> list[Organization]:
    """Active organizations in the county/district of ``code`` (the same first 6 digits)."""
    return _ordered(_active().where(region_prefix(Organization.region_code, code[:6])))


def _serving(code: str) -> list[Organization]:
    """Active organizations whose area contains the region ``code`` (its county, town,
    village, city and province levels), the most local first, as routing prefers them."""
    levels = {code[:n] for n in (6, 9, 12) if len(code) >= n} | {code[:4] + "00", code[:2] + "0000"}
    found = db.session.execute(_active().where(Organization.region_code.in_(levels))
                               .order_by(Organization.id).limit(ORG_CHOICES_CAP + 1)).scalars()
    return sorted(found, key=lambda o: -len(o.region_code))


def _top_level() -> list[Organization]:
    """City and county organizations: they serve whole areas, a sensible start when nothing
    tells where the dispute is."""
    return _ordered(_active().where(Organization.level.in_((OrgLevel.CITY, OrgLevel.COUNTY))))


def search_organizations(query: str) -> list[Organization]:
    """Active organizations matching a search: digits are a region code (prefix), words
    must all appear in the name or short name."""
    query = query.strip()
    q = _active()
    if query.isdigit():
        q = q.where(region_prefix(Organization.region_code, query[:12]))
    else:
        for word in query.split()[:5]:
            like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            q = q.where(or_(Organization.name.ilike(like, escape="\\"),
                            Organization.short_name.ilike(like, escape="\\")))
    return _ordered(q)


def _selected(raw: Any) -> Organization | None:
    """The currently chosen organization (saved or typed), if it is a real active one."""
    text = str(raw or "").strip()
    org = db.session.get(Organization, int(text)) if text.isdigit() and int(text) < 2**63 else None
    return org if org is not None and org.active else None


def _choices(groups: Any, *, total: int, query: str, selected: Any, exclude: int | None) -> OrgChoices:
    """Merge the candidate groups (in order of relevance) into at most the cap, keeping the
    selected organization even when no group has it (a refused form shows what was chosen)."""
    seen: set[int] = set() if exclude is None else {exclude}
    out: list[Organization] = []
    cut = False
    for group in groups:
        for org in group:
            if org.id in seen:
                continue
            if len(out) == ORG_CHOICES_CAP:
                cut = True
                break
            seen.add(org.id)
            out.append(org)
    chosen = _selected(selected)
    if chosen is not None and chosen.id not in seen:
        out.insert(0, chosen)
    return OrgChoices(out, total, complete=False, cut=cut, query=query)


def _full_list(query: str, exclude: int | None) -> OrgChoices:
    """Every active organization when the platform is small and nobody searched; otherwise
    an empty, incomplete list carrying the platform's count, for the caller to fill."""
    total = db.session.execute(select(func.count(Organization.id)).where(Organization.active.is_(True))).scalar_one()
    if query or total > ORG_CHOICES_CAP:
        return OrgChoices([], total, complete=False, query=query)
    return OrgChoices([o for o in _ordered(_active(), total + 1) if o.id != exclude], total, complete=True)


def wizard_org_choices(region_code: str | None, query: str = "", selected: Any = None) -> OrgChoices:
    """The applicant's organizations: those serving the region they gave (or, before they
    gave one, the region of the organization already chosen, e.g. booked from the directory)."""
    query = (query or "").strip()
    base = _full_list(query, None)
    if base.complete:
        return base
    region = (region_code or "").strip()
    anchor = region if region.isdigit() and len(region) >= 6 else getattr(_selected(selected), "region_code", "")
    if query:
        groups: list[list[Organization]] = [search_organizations(query)]
    elif anchor:
        groups = [_serving(anchor), _in_area(anchor)]
    else:
        groups = [_top_level()]
    return _choices(groups, total=base.total, query=query, selected=selected, exclude=None)


def transfer_choices(organization_id: int | None, query: str = "", selected: Any = None) -> OrgChoices:
    """Where an organization may send a case: its parent, its children and its county's
    other organizations (any other one can be searched for). Never itself."""
    query = (query or "").strip()
    base = _full_list(query, organization_id)
    if base.complete:
        return base
    own = db.session.get(Organization, organization_id) if organization_id else None
    if query:
        groups: list[list[Organization]] = [search_organizations(query)]
    elif own is None:
        groups = [_top_level()]
    else:
        parent = [own.parent] if own.parent is not None and own.parent.active else []
        groups = [parent, _ordered(_active().where(Organization.parent_id == own.id)), _in_area(own.region_code)]
    return _choices(groups, total=base.total, query=query, selected=selected, exclude=organization_id)


def diversion_choices(court_id: int | None, query: str = "", selected: Any = None) -> OrgChoices:
    """Where court staff may divert a lawsuit: the organizations their court invited
    (特邀调解组织) first, then those serving or located in the court's region."""
    query = (query or "").strip()
    base = _full_list(query, None)
    if base.complete:
        return base
    court = db.session.get(Court, court_id) if court_id else None
    if query:
        groups: list[list[Organization]] = [search_organizations(query)]
    elif court is None:
        groups = [_top_level()]
    else:
        invited = _ordered(_active().join(organization_court, organization_court.c.organization_id == Organization.id)
                           .where(organization_court.c.court_id == court.id))
        groups = [invited, _serving(court.region_code), _in_area(court.region_code)]
    return _choices(groups, total=base.total, query=query, selected=selected, exclude=None)


def mediator_choices(orgs: OrgChoices, selected: Any = None) -> MediatorChoices:
    """Active mediators of the listed organizations only (plus the chosen one), with the
    organizations' names in a dict so the template needs no nested loop. Plain columns,
    not ORM objects: a county's roster is hundreds of rows."""
    names = {o.id: o.name for o in orgs.organizations}
    columns = select(User.id, User.display_name, MediatorProfile.organization_id) \
        .join(MediatorProfile, MediatorProfile.user_id == User.id).where(MediatorProfile.status == "active")
    rows = list(db.session.execute(columns.where(MediatorProfile.organization_id.in_(list(names)))
                                   .order_by(MediatorProfile.organization_id, User.id)
                                   .limit(MEDIATOR_CHOICES_CAP + 1)).all())
    cut = len(rows) > MEDIATOR_CHOICES_CAP
    rows = rows[:MEDIATOR_CHOICES_CAP]
    text = str(selected or "").strip()
    if text.isdigit() and int(text) < 2**63 and all(r.id != int(text) for r in rows):
        found = db.session.execute(columns.where(User.id == int(text))).first()
        if found is not None:
            rows.insert(0, found)
            org = db.session.get(Organization, found.organization_id)
            if org is not None:
                names.setdefault(org.id, org.name)
    return MediatorChoices(rows, names, cut)
