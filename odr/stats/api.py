"""GET /api/v1/stats (API.md): the dashboard's headline figures as JSON, rates 0–1."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask_babel import lazy_gettext as _l

from odr.accounts import policy
from odr.api.conventions import require_user
from odr.api.registry import endpoint
from odr.api.schema import Date, Int, Obj, Str
from odr.cases.models import Category
from odr.core.errors import BadInput
from odr.stats.queries import Filters, summary
from odr.stats.scoping import resolve_scope

STATS_QUERY = Obj({
    "from": Date(required=False, description="First day (Asia/Shanghai) of filing, inclusive"),
    "to": Date(required=False, description="Last day (Asia/Shanghai) of filing, inclusive"),
    "organization_id": Int(required=False, minimum=1, description="This organization and those below it"),
    "court_id": Int(required=False, minimum=1),
    "category": Str(required=False, enum=Category.ALL),
})

_COUNT = {"type": "integer", "minimum": 0}
_RATE = {"type": "number", "minimum": 0, "maximum": 1}
_DAYS = {"type": ["number", "null"], "minimum": 0}
STATS_OUT = {
    "type": "object",
    "required": ["received", "by_source", "accepted", "rejected", "declined", "in_mediation", "settled",
                 "failed", "escalated", "withdrawn", "success_rate", "guidance_rate", "confirmations",
                 "median_days_to_settlement"],
    "properties": {
        **{k: _COUNT for k in ("received", "accepted", "rejected", "declined", "in_mediation", "settled",
                               "failed", "escalated", "withdrawn", "overdue", "diverted_mediated")},
        "by_source": {"type": "object", "required": ["self_filed", "court_diversion", "api"],
                      "properties": {k: _COUNT for k in ("self_filed", "court_diversion", "api")}},
        "success_rate": _RATE, "guidance_rate": _RATE,
        "confirmations": {"type": "object", "required": ["applied", "confirmed", "rejected"],
                          "properties": {k: _COUNT for k in ("applied", "confirmed", "rejected")}},
        "median_days_to_settlement": _DAYS, "median_days_to_ruling": _DAYS,
    },
}


def filters_from(query: dict[str, Any]) -> Filters:
    start, end = query.get("from"), query.get("to")
    if start and end and start > end:
        raise BadInput(_l("The start date is after the end date."), fields={"from": _l("After 'to'.")})
    return Filters(start=start, end=end, category=query.get("category"))


@endpoint("/stats", summary="Case, mediation and confirmation figures for the caller's scope",
          query=STATS_QUERY, response=STATS_OUT, errors=(400, 401, 403, 404))
def stats(query: dict[str, Any]) -> Any:
    policy.authorize("stats.view")
    user = require_user()
    scope = resolve_scope(user, query.get("organization_id"), query.get("court_id"))
    return jsonify(summary(scope, filters_from(query)))
