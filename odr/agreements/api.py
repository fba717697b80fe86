"""/cases/{id}/agreement, /agreements/{id}, /agreements/{id}/sign, /agreements/{id}/comments."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from odr.accounts import policy
from odr.agreements import codes, drawn, services
from odr.agreements.models import Agreement
from odr.api.conventions import created, require_user
from odr.api.registry import endpoint
from odr.api.schema import Date, Int, List, Money, Obj, Str
from odr.cases.models import Case
from odr.core.time import iso

TERM = Obj({"obligor": Str(max_len=120), "obligee": Str(required=False, nullable=True, max_len=120),
            "description": Str(max_len=4000), "amount": Money(required=False, nullable=True),
            "due_date": Date(required=False, nullable=True),
            "method": Str(required=False, nullable=True, enum=services.METHODS)})

SIGNATURE_OUT = {"type": "object", "properties": {
    "user_id": {"type": "integer"}, "role": {"type": "string"}, "party_id": {"type": ["integer", "null"]},
    "signed_at": {"type": "string"}, "content_hash": {"type": "string"},
    "drawn_image": {"type": "boolean", "description": "a drawn signature image was given"}}}
SIGN_CODE_OUT = {"type": "object", "required": ["channels", "expires_at"], "properties": {
    "channels": {"type": "array", "items": {"type": "string", "enum": ["email", "sms"]}},
    "sent_to": {"type": "array", "items": {"type": "string"}, "description": "masked addresses"},
    "expires_at": {"type": "string"}, "resend_after": {"type": "string"}}}
AGREEMENT_OUT = {"type": "object", "required": ["id", "version", "status", "content_hash"], "properties": {
    "id": {"type": "integer"}, "case_id": {"type": "integer"}, "version": {"type": "integer"},
    "status": {"type": "string", "enum": ["draft", "effective", "superseded"]},
    "number": {"type": ["string", "null"]}, "content_hash": {"type": "string"},
    "facts": {"type": "string"}, "points_in_dispute": {"type": ["string", "null"]},
    "responsibilities": {"type": ["string", "null"]}, "other_terms": {"type": ["string", "null"]},
    "performance": {"type": ["string", "null"]}, "copies": {"type": "integer"},
    "terms": {"type": "array", "items": {"type": "object"}},
    "signatures": {"type": "array", "items": SIGNATURE_OUT},
    "effective_at": {"type": ["string", "null"]}, "created_at": {"type": "string"}}}


def agreement_json(a: Agreement) -> dict[str, Any]:
    return {
        "id": a.id, "case_id": a.case_id, "version": a.version, "status": a.status, "number": a.number,
        "content_hash": a.content_hash, "facts": a.facts, "points_in_dispute": a.points_in_dispute,
        "responsibilities": a.responsibilities, "other_terms": a.other_terms,
        "performance": a.performance, "copies": a.copies,
        "terms": [{"obligor": t.obligor, "obligee": t.obligee, "description": t.description,
                   "amount": None if t.amount is None else f"{t.amount:.2f}",
                   "due_date": t.due_date.isoformat() if t.due_date else None, "method": t.method}
                  for t in a.terms],
        "signatures": [{"user_id": s.user_id, "role": s.role, "party_id": s.party_id,
                        "signed_at": iso(s.signed_at), "content_hash": s.content_hash,
                        "drawn_image": bool(s.image_key)}
                       for s in a.signatures],
        "effective_at": iso(a.effective_at), "created_at": iso(a.created_at),
    }


@endpoint("/cases/<int:case_id>/agreement", "PUT", summary="Draft a new version of the agreement (mediator)",
          body=Obj({"terms": List(TERM, min_items=1, max_items=services.MAX_TERMS),
                    "other_terms": Str(required=False, nullable=True, max_len=10000),
                    "facts": Str(required=False, nullable=True, max_len=20000),
                    "points_in_dispute": Str(required=False, nullable=True, max_len=10000),
                    "responsibilities": Str(required=False, nullable=True, max_len=10000),
                    "performance": Str(required=False, nullable=True, max_len=10000),
                    "copies": Int(required=False, nullable=True, minimum=1, maximum=50)}),
          response=AGREEMENT_OUT, errors=(400, 403, 404, 409, 422))
def agreement_draft(case_id: int, body: dict[str, Any]) -> Any:
    case = policy.get_or_404(Case, case_id, "case.agreement.draft")
    return jsonify(agreement_json(services.draft_agreement(case, require_user(), body)))


@endpoint("/cases/<int:case_id>/agreement", summary="The case's current agreement version",
          response=AGREEMENT_OUT, errors=(404,))
def agreement_current(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "agreement.view")
    agreement = services.current(case)
    if agreement is None:
        from odr.core.errors import NotFound

        raise NotFound()
    return jsonify(agreement_json(agreement))


@endpoint("/cases/<int:case_id>/agreements", summary="Every version of the case's agreement, newest first",
          response={"type": "object", "properties": {"items": {"type": "array", "items": AGREEMENT_OUT},
                                                     "total": {"type": "integer"}}})
def agreement_versions(case_id: int) -> Any:
    case = policy.get_or_404(Case, case_id, "agreement.view")
    items = services.versions(case)
    return jsonify({"items": [agreement_json(a) for a in items], "total": len(items)})


@endpoint("/agreements/<int:agreement_id>", summary="One agreement version", response=AGREEMENT_OUT)
def agreement_get(agreement_id: int) -> Any:
    return jsonify(agreement_json(policy.get_or_404(Agreement, agreement_id, "agreement.view")))


@endpoint("/agreements/<int:agreement_id>/sign", "POST", summary="E-sign an agreement version (parties, mediator)",
          body=Obj({"password": Str(max_len=128),
                    "content_hash": Str(required=False, nullable=True, pattern=r"[0-9a-f]{64}",
                                        description="the hash of the version you read; 409 if it changed"),
                    "code": Str(required=False, nullable=True, max_len=12,
                                description="the one-time code from POST …/sign-code; required only where "
                                            "signing codes are configured (ODR_SIGNING_CODE_CHANNELS)"),
                    "signature_image": Str(required=False, nullable=True, max_len=drawn.MAX_BYTES * 8,
                                           description="optional drawn signature: a PNG of at most 200 KB, "
                                                       "base64 or a data:image/png;base64 URL")}),
          response=AGREEMENT_OUT, errors=(400, 403, 404, 409, 413, 415, 422))
def agreement_sign(agreement_id: int, body: dict[str, Any]) -> Any:
    agreement = policy.get_or_404(Agreement, agreement_id, "agreement.sign")
    services.sign(agreement, require_user(), body["password"], ip=request.remote_addr,
                  user_agent=request.headers.get("User-Agent"), expected_hash=body.get("content_hash"),
                  code=body.get("code"), signature_image=body.get("signature_image"))
    return jsonify(agreement_json(agreement))


@endpoint("/agreements/<int:agreement_id>/sign-code", "POST",
          summary="Send the signer a one-time signing code by e-mail/SMS (where configured)",
          response=SIGN_CODE_OUT, errors=(403, 404, 409, 422, 429, 503))
def agreement_sign_code(agreement_id: int) -> Any:
    agreement = policy.get_or_404(Agreement, agreement_id, "agreement.sign")
    return jsonify(codes.issue(agreement, require_user()).as_json())


@endpoint("/agreements/<int:agreement_id>/comments", "POST", summary="Comment on a draft agreement",
          status=201, body=Obj({"body": Str(max_len=4000)}),
          response={"type": "object", "properties": {"id": {"type": "integer"}, "body": {"type": "string"},
                                                     "created_at": {"type": "string"}}})
def agreement_comment(agreement_id: int, body: dict[str, Any]) -> Any:
    agreement = policy.get_or_404(Agreement, agreement_id, "agreement.comment")
    note = services.comment(agreement, require_user(), body["body"])
    return created({"id": note.id, "body": note.body, "created_at": iso(note.created_at)})


@endpoint("/agreements/<int:agreement_id>/comments", summary="Comments on an agreement version",
          response={"type": "object", "properties": {"items": {"type": "array"}, "total": {"type": "integer"}}})
def agreement_comments(agreement_id: int) -> Any:
    agreement = policy.get_or_404(Agreement, agreement_id, "agreement.view")
    items = services.comments(agreement)
    return jsonify({"items": [{"id": c.id, "user_id": c.user_id, "body": c.body,
                               "created_at": iso(c.created_at)} for c in items], "total": len(items)})
