"""An evidence item as JSON (API.md field names)."""

from __future__ import annotations

from typing import Any

from odr.core.time import iso
from odr.evidence.models import Evidence


def evidence_json(e: Evidence) -> dict[str, Any]:
    return {"id": e.id, "case_id": e.case_id, "kind": e.kind, "title": e.title, "description": e.description,
            "filename": e.filename, "size": e.size, "sha256": e.sha256, "media_type": e.media_type,
            "visibility": e.visibility, "submitted_by": e.submitted_by_id, "created_at": iso(e.created_at),
            "duplicate_of": e.duplicate_of_id, "withdrawn_at": iso(e.withdrawn_at),
            "withdraw_reason": e.withdraw_reason}
