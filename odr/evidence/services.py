"""The evidence vault: recording uploads, listing what a viewer may see, withdrawing.

Evidence is never deleted. Withdrawal is audited and keeps the bytes; the only bytes
ever removed are those of an upload whose record could not be written (nothing refers
to them). The same content uploaded twice in a case is flagged as a duplicate.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from odr.accounts import policy
from odr.audit.services import record
from odr.cases.lifecycle import CLOSED, DECLINED, REJECTED, WITHDRAWN
from odr.cases.models import Agent, Case
from odr.core.errors import BadInput, Conflict, Forbidden, TooLarge
from odr.core.storage import get_storage
from odr.core.time import now
from odr.evidence.models import Evidence
from odr.evidence.streaming import Upload
from odr.extensions import db

VISIBILITIES = ("all", "mediator")
KINDS = ("evidence", "power_of_attorney")
CLOSED_FOR_UPLOAD = (REJECTED, DECLINED, WITHDRAWN, CLOSED)


def display_filename(raw: str | None) -> str:
    """The user's filename for display only: no path parts, no control characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) < 10 else name[:200]
    return name or "file"


def used_bytes(case: Case) -> int:
    return int(db.session.execute(select(func.coalesce(func.sum(Evidence.size), 0))
                                  .where(Evidence.case_id == case.id)).scalar_one())


def upload_limit(case: Case) -> int:
    """How many bytes the next file may have: the per-file limit within the case's quota."""
    room = current_app.config["CASE_QUOTA_BYTES"] - used_bytes(case)
    if room <= 0:
        raise TooLarge(_l("This case has used its storage quota."), code="quota_exceeded")
    return min(current_app.config["MAX_UPLOAD_BYTES"], room)


def check_can_upload(case: Case, actor: Any) -> None:
    if not policy.can(actor, "case.evidence.upload", case):
        raise Forbidden()
    if case.status in CLOSED_FOR_UPLOAD:
        raise Conflict(_l("Evidence can no longer be added to this case."), code="case_closed")


def add_evidence(case: Case, actor: Any, upload: Upload, *, title: str | None = None,
                 description: str | None = None, visibility: str = "all", kind: str = "evidence",
                 agent_id: int | None = None) -> Evidence:
    """Record a stored upload; on any refusal the stored bytes are removed again."""
    storage = get_storage()
    try:
        check_can_upload(case, actor)
        errors: dict[str, Any] = {}
        filename = display_filename(upload.filename)
        title = (title or "").strip()[:200] or filename
        if visibility not in VISIBILITIES:
            errors["visibility"] = _l("Must be one of: %(values)s.", values=", ".join(VISIBILITIES))
        if kind not in KINDS:
            errors["kind"] = _l("Must be one of: %(values)s.", values=", ".join(KINDS))
        agent = None
        if kind == "power_of_attorney" and agent_id is not None:
            agent = db.session.get(Agent, agent_id)
            if agent is None or agent.case_id != case.id:
                errors["agent_id"] = _l("Unknown agent.")
        if errors:
            raise BadInput(_l("Please correct the marked fields."), fields=errors)
        if used_bytes(case) + upload.size > current_app.config["CASE_QUOTA_BYTES"]:
            raise TooLarge(_l("This case has used its storage quota."), code="quota_exceeded")
        duplicate = db.session.execute(
            select(Evidence.id).where(Evidence.case_id == case.id, Evidence.sha256 == upload.sha256)
            .order_by(Evidence.id).limit(1)).scalar_one_or_none()
        ev = Evidence(case_id=case.id, kind=kind, title=title, description=(description or "").strip() or None,
                      filename=filename, size=upload.size, sha256=upload.sha256, media_type=upload.media_type,
                      storage_key=upload.key, visibility=visibility, submitted_by_id=actor.id,
                      duplicate_of_id=duplicate)
        db.session.add(ev)
        db.session.flush()
        if agent is not None:
            agent.power_of_attorney_id = ev.id
        record("evidence.upload", ev, actor=actor,
               after={"title": title, "filename": filename, "size": upload.size, "sha256": upload.sha256,
                      "media_type": upload.media_type, "visibility": visibility, "kind": kind,
                      "duplicate_of_id": duplicate})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        storage.delete(upload.key)
        raise
    return ev


def visible_evidence(case: Case, viewer: Any, *, include_withdrawn: bool = True) -> list[Evidence]:
    rows = db.session.execute(select(Evidence).where(Evidence.case_id == case.id).order_by(Evidence.id)).scalars()
    return [e for e in rows if policy.can(viewer, "evidence.view", e)
            and (include_withdrawn or e.withdrawn_at is None)]


def withdraw_evidence(ev: Evidence, actor: Any, reason: str | None = None) -> Evidence:
    if not policy.can(actor, "evidence.withdraw", ev):
        raise Forbidden()
    if ev.withdrawn_at is not None:
        raise Conflict(_l("This item has been withdrawn already."), code="already_withdrawn")
    ev.withdrawn_at = now()
    ev.withdrawn_by_id = actor.id
    ev.withdraw_reason = (reason or "").strip() or None
    record("evidence.withdraw", ev, actor=actor, before={"withdrawn": False},
           after={"withdrawn": True, "reason": ev.withdraw_reason})
    db.session.commit()
    return ev


def receive_evidence(case: Case, actor: Any, stream: Any, content_type: str | None,
                     content_length: int | None) -> Evidence:
    """Stream one multipart upload (fields ``file``, ``title``, ``description``,
    ``visibility``, ``kind``, ``agent_id``) into storage and record it."""
    from odr.evidence.streaming import receive

    check_can_upload(case, actor)
    limit = upload_limit(case)
    try:
        upload = receive(stream, content_type, get_storage(), limit=limit, content_length=content_length)
    except TooLarge as exc:
        if exc.code == "file_too_large" and limit < current_app.config["MAX_UPLOAD_BYTES"]:
            raise TooLarge(_l("This file does not fit in the case's remaining storage quota."),
                           code="quota_exceeded") from None
        raise
    f = upload.fields
    agent_raw = (f.get("agent_id") or "").strip()
    return add_evidence(case, actor, upload, title=f.get("title"), description=f.get("description"),
                        visibility=(f.get("visibility") or "all").strip(), kind=(f.get("kind") or "evidence").strip(),
                        agent_id=int(agent_raw) if agent_raw.isdigit() else None)
