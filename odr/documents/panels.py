"""Jinja globals for the case page's documents panel (templates/cases/_panel_documents.html)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user

from odr.accounts import policy


def visible_documents(case: Any) -> list[Any]:
    """The case's documents if the viewer may see them, else nothing."""
    from odr.documents.services import case_documents

    if case is None or not policy.can(current_user, "document.view", case):
        return []
    return case_documents(case)


def kind_label(kind: str) -> str:
    from odr.documents.services import KIND_LABELS

    return str(KIND_LABELS.get(kind, kind))


def register_globals(app: Flask) -> None:
    app.jinja_env.globals["case_documents"] = visible_documents
    app.jinja_env.globals["document_kind_label"] = kind_label
