"""Writing and verifying the audit chain.

``record`` runs inside the caller's transaction, so an action and its audit event commit
or roll back together. Appends are serialized so the chain never forks: on PostgreSQL by
a transaction-scoped advisory lock, on SQLite by the database's single writer (every
transaction begins IMMEDIATE, see odr/__init__.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import select, text

from odr.audit.models import AuditEvent
from odr.core.time import iso, now
from odr.extensions import db

GENESIS = "0" * 64
_PG_LOCK_KEY = 7_301_2026


def _plain(value: Any) -> Any:
    """JSON-safe copy (dates, decimals → strings) so what is stored is what is hashed."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def canonical(event: AuditEvent) -> str:
    content = {
        "created_at": iso(event.created_at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "case_id": event.case_id,
        "before": event.before,
        "after": event.after,
        "ip": event.ip,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode()).hexdigest()


def _actor(actor: Any) -> Any:
    if actor is not None:
        return actor
    if has_request_context():
        try:
            if current_user.is_authenticated:
                return current_user._get_current_object()
        except AttributeError:
            return None
    return None


def record(action: str, obj: Any = None, *, actor: Any = None, case_id: int | None = None,
           before: Any = None, after: Any = None, object_type: str | None = None,
           object_id: Any = None) -> AuditEvent:
    """Append one event to the chain inside the current transaction."""
    who = _actor(actor)
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        if case_id is None:
            case_id = getattr(obj, "case_id", None)
            if case_id is None and obj.__tablename__ == "mediation_case":
                case_id = obj.id
    bind = db.session.get_bind()
    if bind.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    prev = db.session.execute(
        select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none() or GENESIS
    event = AuditEvent(
        created_at=now(),
        actor_id=getattr(who, "id", None),
        actor_name=getattr(who, "display_name", None),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        case_id=case_id,
        before=_plain(before),
        after=_plain(after),
        ip=request.headers.get("X-Forwarded-For", request.remote_addr) if has_request_context() else None,
        prev_hash=prev,
    )
    event.hash = compute_hash(prev, event)
    db.session.add(event)
    db.session.flush()
    return event


@dataclass
class ChainReport:
    checked: int
    broken_id: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the chain in id order; report the first event whose link or content fails."""
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not rows:
            return ChainReport(checked)
        for event in rows:
            if event.prev_hash != prev:
                return ChainReport(checked, event.id, "link to the previous event is broken (an event was removed or reordered)")
            if compute_hash(prev, event) != event.hash:
                return ChainReport(checked, event.id, "content does not match its hash (the event was altered)")
            prev = event.hash
            checked += 1
            last_id = event.id
        db.session.expunge_all()
