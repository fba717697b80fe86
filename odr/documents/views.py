"""Document pages: the public verification page (/verify/<code>), PDF downloads from the
case page, and the mediator's "generate" button."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from odr.accounts import policy
from odr.cases.models import Case
from odr.core.errors import DomainError
from odr.core.time import iso
from odr.documents import issuing
from odr.documents.api import pdf_response
from odr.documents.models import Document
from odr.documents.panels import kind_label
from odr.documents.services import by_code, matches, public_view
from odr.extensions import csrf, limiter

bp = Blueprint("documents", __name__)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes["application/json"] > \
        request.accept_mimetypes["text/html"]


@bp.get("/verify/<code>")
@limiter.limit("60 per minute")
def verify(code: str) -> Any:
    """Anyone holding a printed or electronic copy may check it; no personal data shown."""
    policy.public()
    doc = by_code(code)
    info = public_view(doc)
    if _wants_json():
        return jsonify({"kind": info["kind"], "number": info["number"], "issuer": info["issuer"],
                        "issued_at": iso(info["issued_at"]), "sha256": info["sha256"]})
    return render_template("verify/show.html", doc=doc, info=info, kind=kind_label(doc.kind), result=None)


@bp.post("/verify/<code>")
@csrf.exempt  # changes nothing; courts' and banks' scripts post files here without a session
@limiter.limit("20 per minute")
def verify_upload(code: str) -> Any:
    policy.public()
    doc = by_code(code)
    upload = request.files.get("file")
    result = bool(upload) and matches(doc, upload.stream)
    if _wants_json():
        if not upload:
            return jsonify({"error": {"code": "invalid_input", "message": _("Choose a PDF file to check."),
                                      "fields": {"file": _("This field is required.")}}}), 400
        return jsonify({"match": result})
    if not upload:
        flash(_("Choose a PDF file to check."), "error")
    return render_template("verify/show.html", doc=doc, info=public_view(doc), kind=kind_label(doc.kind),
                           result=result if upload else None), 200 if upload else 400


@bp.get("/documents/<int:document_id>/download")
def download(document_id: int) -> Any:
    doc = policy.get_or_404(Document, document_id, "document.view")
    return pdf_response(doc)


@bp.post("/cases/<int:case_id>/documents/generate")
def generate(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "case.view")  # who may issue which kind: issuing.generate
    from odr.accounts.forms import EmptyForm

    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
    else:
        kind = request.form.get("kind", "")
        try:
            doc = issuing.generate(case, kind, current_user, minutes_id=request.form.get("minutes_id", type=int))
        except DomainError as exc:
            flash(str(exc.message), "error")
        else:
            flash(_("%(kind)s issued, verification code %(code)s.", kind=kind_label(doc.kind),
                    code=doc.verify_code), "info")
    target = url_for("cases.detail", case_id=case.id) if "cases.detail" in _endpoints() else \
        url_for("agreements.show", case_id=case.id)
    return redirect(target)


def _endpoints() -> set[str]:
    from flask import current_app

    return set(current_app.view_functions)
