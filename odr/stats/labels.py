"""Labels and cell formatting shared by the dashboard tables and their CSV exports."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

CATEGORY_LABELS: dict[str, Any] = {
    "family": _l("Family"), "neighbour": _l("Neighbours"), "property": _l("Property"),
    "contract": _l("Contract"), "damages": _l("Damages"), "labour": _l("Labour"),
    "medical": _l("Medical"), "consumer": _l("Consumer"), "traffic": _l("Traffic"),
    "property_management": _l("Property management"), "land_contract": _l("Land contract"),
    "other": _l("Other"),
}

_OUTCOMES = [("received", _l("Received")), ("accepted", _l("Accepted")), ("settled", _l("Settled")),
             ("failed", _l("Failed")), ("rejected", _l("Rejected")), ("declined", _l("Declined")),
             ("escalated", _l("Escalated")), ("success_rate", _l("Success rate"))]

#: Each dashboard table: (row key, column heading). The CSV export uses the same list.
TABLES: dict[str, list[tuple[str, Any]]] = {
    "categories": [("category", _l("Category")), *_OUTCOMES, ("guidance_rate", _l("Guidance rate"))],
    "organizations": [("name", _l("Organization")), *_OUTCOMES],
    "mediators": [("name", _l("Mediator")), ("active", _l("Active cases (workload)")), *_OUTCOMES],
    "trend": [("month", _l("Month")), ("received", _l("Received")), ("settled", _l("Settled")),
              ("failed", _l("Failed"))],
}


def percent(value: float) -> str:
    """0.8548 → "85.48%" (two decimals, as the courts report it)."""
    return f"{value * 100:.2f}%"


def cell(row: dict[str, Any], key: str) -> Any:
    if key == "category":
        return str(CATEGORY_LABELS.get(row["key"], row["key"]))
    if key.endswith("_rate"):
        return percent(row[key])
    return row.get(key, "")
