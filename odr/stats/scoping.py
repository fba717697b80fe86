"""Whose figures a caller may see: the platform admin everything, an organization admin
their organization and its descendants, court staff their own court.

The filters a caller sends (organization_id, court_id) can only narrow that scope;
asking for someone else's organization or court is refused rather than silently ignored.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from odr.accounts.models import Role
from odr.core.errors import Forbidden, NotFound
from odr.extensions import db
from odr.organizations.models import Court, Organization
from odr.stats.queries import Scope, descendants


def resolve_scope(user: Any, organization_id: int | None = None, court_id: int | None = None) -> Scope:
    """The Scope for ``user`` narrowed by the requested organization and court."""
    if organization_id is not None and db.session.get(Organization, organization_id) is None:
        raise NotFound(_l("No such organization."))
    if court_id is not None and db.session.get(Court, court_id) is None:
        raise NotFound(_l("No such court."))
    if user.role == Role.ADMIN:
        return Scope(org_ids=descendants(organization_id) if organization_id else None, court_id=court_id)
    if user.role == Role.ORG_ADMIN:
        if user.organization_id is None:
            raise Forbidden()
        own = descendants(user.organization_id)
        if organization_id is not None and organization_id not in own:
            raise Forbidden(_l("You can only see the figures of your organization and those below it."))
        return Scope(org_ids=descendants(organization_id) if organization_id else own, court_id=court_id)
    if user.role in Role.COURT:
        if user.court_id is None or (court_id is not None and court_id != user.court_id):
            raise Forbidden(_l("You can only see the figures of your own court."))
        return Scope(org_ids=descendants(organization_id) if organization_id else None, court_id=user.court_id)
    raise Forbidden()
