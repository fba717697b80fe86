"""Callbacks from the media server: room events and finished recordings.

No user is logged in here and there is no CSRF token: the HMAC signature made with the
shared media secret (mediation.protocol) is the authorization, so these views declare
themselves public to the policy and refuse anything unsigned with 401 before touching
the database. Answers are JSON in API.md's error shape; the media server retries on
5xx and gives up on other 4xx.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_babel import lazy_gettext as _l

from mediation.protocol import CALLBACK_SIGNATURE_HEADER, EVENTS_PATH, RECORDINGS_PATH, verify_callback
from odr.accounts import policy
from odr.core.errors import BadInput, DomainError, TooLarge, Unauthorized
from odr.evidence.streaming import lift_request_cap
from odr.extensions import csrf, db
from odr.scheduling import video_events, video_recordings

bp = Blueprint("media_callbacks", __name__)

MAX_EVENT_BYTES = 64 * 1024


@bp.errorhandler(DomainError)
def _refused(exc: DomainError) -> Any:
    """Always JSON, never a login redirect: the caller is a server, not a browser."""
    db.session.rollback()
    return jsonify(exc.as_dict()), exc.status


@bp.post(EVENTS_PATH)
@csrf.exempt
def events() -> Any:
    """One room event (JSON), signed over the exact body bytes."""
    policy.public()
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        raise TooLarge(_l("The event is too large."))
    body = request.get_data(cache=True)
    if len(body) > MAX_EVENT_BYTES:
        raise TooLarge(_l("The event is too large."))
    if not verify_callback(current_app.config["MEDIA_SECRET"], body,
                           request.headers.get(CALLBACK_SIGNATURE_HEADER)):
        raise Unauthorized(_l("The callback signature is invalid or expired."), code="bad_signature")
    payload = request.get_json(force=True, silent=True)
    if payload is None:
        raise BadInput(_l("The request body is not valid JSON."), code="malformed_json")
    session = video_events.apply_event(payload)
    return jsonify({"ok": True, "session_id": session.id, "status": session.status})


@bp.post(RECORDINGS_PATH)
@csrf.exempt
def recordings() -> Any:
    """A finished recording (multipart), signed over its SHA-256; becomes case evidence."""
    policy.public()
    if not request.headers.get(CALLBACK_SIGNATURE_HEADER):
        raise Unauthorized(_l("The callback signature is missing."), code="bad_signature")
    lift_request_cap()
    evidence = video_recordings.store_recording(
        request.stream, request.headers.get("Content-Type"),
        request.headers.get(CALLBACK_SIGNATURE_HEADER))
    return jsonify({"id": evidence.id, "case_id": evidence.case_id, "session_id": evidence.session_id,
                    "sha256": evidence.sha256, "size": evidence.size}), 201
