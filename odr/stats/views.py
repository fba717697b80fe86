"""Statistics dashboards (endpoint ``stats.dashboard``) and their CSV exports.

Thin: parse the filter form, resolve the caller's scope, ask odr.stats.queries, render.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from odr.accounts import policy
from odr.accounts.models import Role
from odr.api.schema import validate
from odr.cases.models import Category
from odr.core.errors import BadInput
from odr.stats.api import STATS_QUERY, filters_from
from odr.stats.charts import share_bars, trend_chart
from odr.stats.labels import CATEGORY_LABELS, TABLES, cell, percent
from odr.stats.queries import Filters, by_category, by_mediator, by_organization, dashboard, summary, trend
from odr.stats.scoping import resolve_scope

bp = Blueprint("stats", __name__, url_prefix="/stats")


def _parse() -> tuple[dict[str, Any], dict[str, Any]]:
    """The validated filters and any per-field errors (the raw values stay in the form)."""
    raw = {k: v for k, v in request.args.items() if k in STATS_QUERY.fields and v != ""}
    try:
        query = validate(STATS_QUERY, raw)
        filters_from(query)
        return query, {}
    except BadInput as exc:
        return {}, {k: str(v) for k, v in exc.fields.items()} or {"from": str(exc.message)}


def _scope_title(user: Any) -> str:
    if user.role == Role.ADMIN:
        return _("The whole platform")
    if user.role == Role.ORG_ADMIN and user.organization is not None:
        return _("%(name)s and the organizations below it", name=user.organization.name)
    if user.court is not None:
        return _("%(name)s: diverted cases and judicial confirmations", name=user.court.name)
    return ""


@bp.get("/", endpoint="dashboard")
def dashboard_page() -> Any:
    policy.authorize("stats.view")
    from flask_login import current_user

    query, errors = _parse()
    scope = resolve_scope(current_user, query.get("organization_id"), query.get("court_id"))
    flt: Filters = filters_from(query)
    data = dashboard(scope, flt)
    s = data["summary"]
    sources = share_bars([(_("Self-filed"), s["by_source"]["self_filed"]),
                          (_("Court diversion"), s["by_source"]["court_diversion"]),
                          (_("API channel"), s["by_source"]["api"])])
    return render_template("stats/dashboard.html", data=data, s=s, sources=sources,
                           chart=trend_chart(data["trend"]), tables=TABLES, cell=cell, percent=percent,
                           categories=[(c, CATEGORY_LABELS.get(c, c)) for c in Category.ALL],
                           args={k: request.args.get(k, "") for k in STATS_QUERY.fields},
                           errors=errors, scope_title=_scope_title(current_user),
                           export_args={k: v for k, v in request.args.items() if k in STATS_QUERY.fields and v})


_ROWS = {"categories": by_category, "organizations": by_organization, "mediators": by_mediator,
         "trend": trend}


@bp.get("/export/<name>.csv")
def export(name: str) -> Any:
    """One dashboard table as CSV, UTF-8 with a BOM so Excel shows Chinese correctly."""
    policy.authorize("stats.view")
    from flask_login import current_user

    if name not in _ROWS and name != "summary":
        abort(404)
    query, errors = _parse()
    if errors:
        raise BadInput(_l("Some filters are invalid."), fields=errors)
    scope = resolve_scope(current_user, query.get("organization_id"), query.get("court_id"))
    flt = filters_from(query)
    out = io.StringIO()
    writer = csv.writer(out)
    if name == "summary":
        writer.writerow([_("Figure"), _("Value")])
        for label, value in _summary_rows(summary(scope, flt)):
            writer.writerow([label, value])
    else:
        columns = TABLES[name]
        writer.writerow([str(label) for _key, label in columns])
        for row in _ROWS[name](scope, flt):
            writer.writerow([cell(row, key) for key, _label in columns])
    body = "\ufeff" + out.getvalue()
    return Response(body.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="stats-{name}.csv"'})


def _summary_rows(s: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(_("Received"), s["received"]), (_("Self-filed"), s["by_source"]["self_filed"]),
            (_("Court diversion"), s["by_source"]["court_diversion"]), (_("API channel"), s["by_source"]["api"]),
            (_("Accepted"), s["accepted"]), (_("Rejected"), s["rejected"]), (_("Declined"), s["declined"]),
            (_("In mediation"), s["in_mediation"]), (_("Settled"), s["settled"]), (_("Failed"), s["failed"]),
            (_("Escalated"), s["escalated"]), (_("Withdrawn"), s["withdrawn"]),
            (_("Success rate"), percent(s["success_rate"])), (_("Guidance rate"), percent(s["guidance_rate"])),
            (_("Confirmations applied"), s["confirmations"]["applied"]),
            (_("Confirmations confirmed"), s["confirmations"]["confirmed"]),
            (_("Confirmations rejected"), s["confirmations"]["rejected"]),
            (_("Median days to settlement"), s["median_days_to_settlement"] if s["median_days_to_settlement"] is not None else ""),
            (_("Median days to ruling"), s["median_days_to_ruling"] if s["median_days_to_ruling"] is not None else ""),
            (_("Overdue cases"), s["overdue"])]
