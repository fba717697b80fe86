"""What every template can use: endpoint checks, language, local times, status labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app, request, url_for
from flask_babel import format_datetime

from odr.cases.lifecycle import STATUS_LABELS
from odr.web.i18n import current_lang


def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


def local_dt(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    return format_datetime(value, fmt) if value else ""


def init_app(app: Flask) -> None:
    @app.context_processor
    def _helpers() -> dict[str, Any]:
        return {
            "has_endpoint": has_endpoint,
            "current_lang": current_lang,
            "status_label": lambda s: STATUS_LABELS.get(s, s),
            "lang_url": lambda code: url_for("web.set_language", code=code, next=request.full_path),
        }

    app.jinja_env.filters["local_dt"] = local_dt
