"""The scopes an integration token may carry (checked by odr.api.conventions.require_scope)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SCOPES = {
    "cases:read": _l("Read the status of its cases"),
    "cases:create": _l("File cases through the API channel"),
    "cases:create_diversion": _l("Divert filed lawsuits to mediation (one court)"),
    "cases:write": _l("Act on its cases (submit, withdraw, respond)"),
    "confirmations:read": _l("Read judicial-confirmation applications of its court"),
    "confirmations:write": _l("Act on judicial-confirmation applications of its court"),
    "organizations:read": _l("Read the directory of organizations"),
    "mediators:read": _l("Read the directory of mediators"),
    "stats:read": _l("Read statistics for its scope"),
    "webhooks:manage": _l("Register webhooks for case events"),
}

EVENTS = {
    "case.status_changed": _l("A case changed status"),
    "document.issued": _l("A document was issued"),
    "ruling.issued": _l("A court ruled on a judicial confirmation"),
}
