"""Agreements room (see DESIGN.md, Rooms): drafting, comments, e-signatures.

``init_app`` registers the Jinja globals the case page's agreement panel uses.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def _case_agreements(case: Any) -> list[Any]:
    """Versions of the case's agreement the current viewer may see, newest first."""
    from flask_login import current_user

    from odr.accounts import policy
    from odr.agreements.services import versions

    if case is None or not policy.can(current_user, "agreement.view", case):
        return []
    return versions(case)


def _can(action: str, obj: Any) -> bool:
    """policy.can for the current viewer, so panels show only the buttons that will work."""
    from flask_login import current_user

    from odr.accounts import policy

    return policy.can(current_user, action, obj)


def _signature_image(signature: Any) -> str | None:
    """A signature's drawn image as a data: URI for pages that already checked
    ``agreement.view`` (the agreement pages); None when nothing was drawn."""
    from odr.agreements.drawn import data_uri

    return data_uri(getattr(signature, "image_key", None))


def init_app(app: Flask) -> None:
    from odr.agreements import models  # noqa: F401
    from odr.agreements.services import signing_status

    app.jinja_env.globals["case_agreements"] = _case_agreements
    app.jinja_env.globals["agreement_signing"] = signing_status
    app.jinja_env.globals["agreement_can"] = _can
    app.jinja_env.globals["agreement_signature_image"] = _signature_image
