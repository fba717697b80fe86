"""Evidence pages: the streamed web upload, download, inline preview, withdrawal.

The upload endpoint hands ``request.stream`` to the vault untouched: reading
``request.form`` or ``request.files`` would make werkzeug buffer the whole body first
(memory or a temp file), which is what the vault exists to avoid. So the app-wide CSRF
check (which reads the form) is switched off for it, and it checks the token itself from
the X-CSRFToken header (evidence.js) or the ``csrf_token`` query parameter (the plain
form without JavaScript).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from odr.accounts import policy
from odr.cases.models import Case
from odr.core.errors import DomainError
from odr.evidence.download import content_response
from odr.evidence.models import Evidence
from odr.evidence.serialize import evidence_json
from odr.evidence.services import receive_evidence, withdraw_evidence
from odr.evidence.streaming import lift_request_cap
from odr.extensions import csrf, db
from odr.web.errors import error_response

bp = Blueprint("evidence", __name__)


def _wants_json() -> bool:
    """evidence.js asks for JSON; the plain form gets a page and a message."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" or \
        request.accept_mimetypes.best == "application/json"


def _csrf_valid() -> bool:
    token = request.headers.get("X-CSRFToken") or request.args.get("csrf_token")
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True


@bp.post("/cases/<int:case_id>/evidence/upload")
@csrf.exempt
def upload(case_id: int) -> Any:
    if not _csrf_valid():
        return error_response(400, "csrf_failed",
                              _("The form expired or was sent from elsewhere (security token missing). "
                                "Please reload the page and try again."))
    case = policy.get_or_404(Case, case_id, "case.evidence.upload")
    target = request.args.get("next", "")
    back = target if target.startswith("/") and not target.startswith("//") and "\\" not in target \
        else url_for("cases.detail", case_id=case.id) + "#evidence"
    lift_request_cap()
    try:
        ev = receive_evidence(case, current_user, request.stream, request.headers.get("Content-Type"),
                              request.content_length)
    except DomainError as exc:
        db.session.rollback()
        if _wants_json():
            return error_response(exc.status, exc.code, exc.message, exc.fields)
        flash(str(exc.message), "error")
        return redirect(back, 303)
    if _wants_json():
        return jsonify({**evidence_json(ev), "duplicate": ev.duplicate_of_id is not None}), 201
    if ev.duplicate_of_id is not None:
        flash(_("“%(title)s” was uploaded. The same file was already in this case.", title=ev.title), "info")
    else:
        flash(_("“%(title)s” was uploaded.", title=ev.title), "success")
    return redirect(back, 303)


@bp.get("/evidence/<int:evidence_id>/download")
def download(evidence_id: int) -> Any:
    ev = policy.get_or_404(Evidence, evidence_id, "evidence.view")
    return content_response(ev, inline=False)


@bp.get("/evidence/<int:evidence_id>/preview")
def preview(evidence_id: int) -> Any:
    """Images and PDFs inline (content_response falls back to attachment for others)."""
    ev = policy.get_or_404(Evidence, evidence_id, "evidence.view")  # authorizes evidence.view on ev
    return content_response(ev, inline=True)


@bp.post("/evidence/<int:evidence_id>/withdraw")
def withdraw(evidence_id: int) -> Any:
    ev = policy.get_or_404(Evidence, evidence_id, "evidence.withdraw")
    try:
        withdraw_evidence(ev, current_user, request.form.get("reason"))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("The item was withdrawn. It stays on record."), "success")
    return redirect(url_for("cases.detail", case_id=ev.case_id) + "#evidence")
