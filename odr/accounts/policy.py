"""Who may do what to which object — the one place that decides.

Every view and API endpoint calls ``authorize(action, obj)``. It raises NotFound when the
user may not even know the object exists (so ids cannot be probed) and Forbidden when
they may see it but not do this. ``g.policy_checked`` records that the question was
asked; in testing an after-request hook fails any endpoint that never asked
(tests/test_policy_matrix.py walks every URL rule).

Rules are plain functions ``(user, obj) -> bool`` registered per action; the case
relations they share are computed once per request (odr/accounts/relations.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, has_request_context

from odr.accounts.models import Role, User
from odr.accounts.relations import authenticated as _authenticated
from odr.accounts.relations import case_relations, participant, visible_cases  # noqa: F401 - the API of this module
from odr.core.errors import Forbidden, NotFound, Unauthorized
from odr.extensions import db

Rule = Callable[[Any, Any], bool]
_RULES: dict[str, Rule] = {}


def rule(*actions: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for action in actions:
            _RULES[action] = fn
        return fn
    return register


def mark_checked() -> None:
    if has_request_context():
        g.policy_checked = True


def public() -> None:
    """Declare that this endpoint is open to anyone (still counts as asking the policy)."""
    mark_checked()
    if has_request_context():
        g.policy_public = True


# ---------------------------------------------------------------- visibility per object

def _case_of(obj: Any) -> Any:
    from odr.cases.models import Case

    if isinstance(obj, Case):
        return obj
    case_id = getattr(obj, "case_id", None)
    return db.session.get(Case, case_id) if case_id is not None else None


def visible(user: Any, obj: Any) -> bool:
    """May ``user`` know that ``obj`` exists?"""
    if obj is None:
        return False
    table = getattr(obj, "__tablename__", None)
    if table in {"organization", "court", "region"}:
        return True
    if table == "mediator_profile":
        return obj.status == "active" or _manages_mediator(user, obj)
    if table == "user":
        return _authenticated(user) and (user.id == obj.id or user.role == Role.ADMIN
                                         or (user.role == Role.ORG_ADMIN and obj.organization_id == user.organization_id))
    if table == "evidence":
        return _evidence_visible(user, obj)
    if table == "confirmation_application":
        return _confirmation_visible(user, obj)
    if table == "api_token":
        return _authenticated(user) and (user.role == Role.ADMIN or obj.user_id == user.id)
    case = _case_of(obj)
    if case is not None:
        return bool(case_relations(user, case))
    return _authenticated(user) and user.role == Role.ADMIN


def _manages_mediator(user: Any, profile: Any) -> bool:
    if not _authenticated(user):
        return False
    return (user.role == Role.ADMIN or user.id == profile.user_id
            or (user.role == Role.ORG_ADMIN and user.organization_id == profile.organization_id))


def _evidence_visible(user: Any, ev: Any) -> bool:
    case = _case_of(ev)
    rel = case_relations(user, case)
    if not rel:
        return False
    if ev.visibility == "mediator":
        return bool(rel & {"mediator", "admin"}) or ev.submitted_by_id == getattr(user, "id", None)
    return True


def _confirmation_visible(user: Any, app: Any) -> bool:
    if not _authenticated(user):
        return False
    if user.role in Role.COURT:
        return user.court_id == app.court_id and app.status != "pending_consent"
    case = _case_of(app)
    rel = case_relations(user, case)
    return bool(rel & {"party", "agent", "filer", "mediator", "org_admin", "admin"})


# ---------------------------------------------------------------- rules

def _role(*roles: str) -> Rule:
    return lambda user, obj: _authenticated(user) and user.role in roles


rule("admin.access", "outbox.view", "court.create", "organization.create", "audit.view",
     "integration.manage")(_role(Role.ADMIN))
rule("account.use", "notifications.view", "invitation.claim")(
    lambda user, obj: _authenticated(user))
rule("stats.view")(_role(Role.ADMIN, Role.ORG_ADMIN, Role.JUDGE, Role.CLERK))
rule("court.queue")(_role(Role.JUDGE, Role.CLERK))
rule("intake.queue")(_role(Role.ORG_ADMIN))


@rule("case.create")
def _case_create(user: Any, obj: Any) -> bool:
    return _authenticated(user) and user.role in (Role.PARTY, Role.JUDGE, Role.CLERK, Role.ADMIN)


@rule("staff.create")
def _staff_create(user: Any, org: Any) -> bool:
    if not _authenticated(user):
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.ORG_ADMIN and org is not None and getattr(org, "id", None) == user.organization_id


@rule("organization.manage")
def _org_manage(user: Any, org: Any) -> bool:
    return _staff_create(user, org)


rule("mediator.view")(lambda user, profile: True)  # visible() already hides inactive profiles


@rule("mediator.manage")
def _mediator_manage(user: Any, profile: Any) -> bool:
    return _manages_mediator(user, profile)


#: the photo shown in the public directory: whoever edits the profile (the organization's
#: admin, a platform admin, the mediator themself), on the web page and the API alike
rule("mediator.photo")(_mediator_manage)


def _rel(*capacities: str) -> Rule:
    wanted = set(capacities)

    def check(user: Any, obj: Any) -> bool:
        return bool(case_relations(user, _case_of(obj)) & wanted)
    return check


_PARTIES = ("party", "agent", "filer")
rule("case.view", "case.events", "case.documents")(
    _rel(*_PARTIES, "mediator", "booked_mediator", "org_admin", "court", "admin"))
rule("case.edit", "case.submit", "case.withdraw")(_rel("filer", "applicant", "agent_applicant"))
rule("case.accept", "case.reject", "case.transfer", "case.assign", "case.recusal.decide")(_rel("org_admin"))
rule("case.respond")(_rel("respondent", "agent_respondent"))
rule("case.recusal.request")(_rel(*_PARTIES, "mediator"))
rule("case.escalate")(_rel("mediator", "org_admin"))
rule("case.fail", "case.sessions.propose", "case.agreement.draft", "case.minutes.write",
     "case.disclose", "case.extend")(_rel("mediator"))
rule("case.booking.confirm")(_rel("booked_mediator", "org_admin"))
rule("case.evidence.upload", "case.evidence.list", "case.sessions.list")(
    _rel(*_PARTIES, "mediator", "org_admin", "admin"))
rule("case.confirmation.consent", "case.rate", "case.extend.consent")(_rel("party", "agent"))
rule("case.confirmation.view")(_rel(*_PARTIES, "mediator", "org_admin", "court", "admin"))

rule("evidence.view")(lambda user, ev: _evidence_visible(user, ev))
rule("evidence.withdraw")(lambda user, ev: getattr(user, "id", None) == ev.submitted_by_id
                          or bool(case_relations(user, _case_of(ev)) & {"mediator", "admin"}))

rule("session.view", "session.ics", "session.join")(
    _rel(*_PARTIES, "mediator", "court", "admin"))
rule("session.accept")(_rel(*_PARTIES))
rule("case.hearing.schedule")(_rel("court"))  # the court's video hearing (odr.scheduling.hearings)


@rule("session.cancel")
def _session_cancel(user: Any, session: Any) -> bool:
    """A hearing is the court's to call off (and the parties'); a mediation the mediator's."""
    runner = "court" if getattr(session, "kind", None) == "hearing" else "mediator"
    return bool(case_relations(user, _case_of(session)) & {*_PARTIES, runner})


rule("session.manage")(_rel("mediator"))

rule("agreement.view", "agreement.comment")(_rel(*_PARTIES, "mediator", "org_admin", "court", "admin"))
rule("agreement.sign")(_rel("party", "agent", "mediator"))
rule("minutes.view")(_rel(*_PARTIES, "mediator", "org_admin", "court", "admin"))
rule("minutes.confirm")(_rel("party", "agent"))


@rule("session.minutes.write")
def _session_minutes_write(user: Any, session: Any) -> bool:
    """Who writes one session's minutes. A mediation's are the mediator's (as
    ``case.minutes.write``); a court hearing's record (询问笔录) is the court's own: the
    presiding judge's or a clerk's seated in that hearing — never the mediator's, who is
    not the court and is not even in the room."""
    rel = case_relations(user, _case_of(session))
    if getattr(session, "kind", None) != "hearing":
        return "mediator" in rel
    if "presiding" in rel:
        return True
    return (user.role == Role.CLERK and "reviewing_court" in rel
            and any(a.user_id == user.id and a.role == "clerk" for a in session.attendees))


rule("document.view")(_rel(*_PARTIES, "mediator", "org_admin", "court", "admin"))
rule("document.issue")(_rel("mediator", "org_admin"))


@rule("confirmation.view")
def _conf_view(user: Any, app: Any) -> bool:
    return _confirmation_visible(user, app)


@rule("confirmation.accept", "confirmation.not_accept", "confirmation.request_materials",
      "confirmation.assign", "confirmation.hearing")
def _conf_clerk(user: Any, app: Any) -> bool:
    return (_authenticated(user) and user.role in Role.COURT and user.court_id == app.court_id)


@rule("confirmation.rule")
def _conf_rule(user: Any, app: Any) -> bool:
    return _authenticated(user) and user.role == Role.JUDGE and user.court_id == app.court_id


@rule("confirmation.withdraw")
def _conf_withdraw(user: Any, app: Any) -> bool:
    return bool(case_relations(user, _case_of(app)) & {"party", "agent"})


# ---------------------------------------------------------------- entry points

def can(user: Any, action: str, obj: Any = None) -> bool:
    fn = _RULES.get(action)
    if fn is None:
        raise KeyError(f"no policy rule for action {action!r}")
    try:
        return bool(fn(user, obj))
    except AttributeError:
        return False


def authorize(action: str, obj: Any = None, user: Any = None) -> None:
    """Raise unless ``user`` (default: the current user) may do ``action`` to ``obj``."""
    from flask_login import current_user

    mark_checked()
    who = user if user is not None else current_user
    if obj is not None and getattr(obj, "__tablename__", None) is not None and not visible(who, obj):
        if not _authenticated(who):
            raise Unauthorized()
        raise NotFound()
    if not can(who, action, obj):
        if not _authenticated(who):
            raise Unauthorized()
        raise Forbidden()


def get_or_404(model: Any, ident: Any, action: str) -> Any:
    """Load ``model`` by id and authorize ``action`` on it; unknown ids are 404."""
    mark_checked()
    try:
        key = int(ident)
    except (TypeError, ValueError):
        raise NotFound() from None
    obj = db.session.get(model, key) if -2**63 < key < 2**63 else None
    if obj is None:
        raise NotFound()
    authorize(action, obj)
    return obj


def is_user(obj: Any) -> bool:
    return isinstance(obj, User)
