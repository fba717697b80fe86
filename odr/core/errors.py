"""Domain errors raised by services and turned into pages or API error bodies.

Services raise these (never abort()); views and the API translate them. Each carries
a stable snake_case code (API.md), a message in the user's language, the HTTP status
and optional per-field messages.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: Any = None, *, code: str | None = None,
                 fields: dict[str, Any] | None = None) -> None:
        super().__init__(str(message) if message is not None else self.code)
        self.message = message if message is not None else self.code
        if code:
            self.code = code
        self.fields = fields or {}

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = {k: str(v) if not isinstance(v, (list, dict)) else v
                              for k, v in self.fields.items()}
        return {"error": body}


class BadInput(DomainError):
    status, code = 400, "invalid_input"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class TooLarge(DomainError):
    status, code = 413, "too_large"


class UnsupportedType(DomainError):
    status, code = 415, "unsupported_type"


class RuleBroken(DomainError):
    status, code = 422, "rule_broken"


class StorageFull(DomainError):
    """The disk (or quota) under the evidence storage is full: 507 Insufficient Storage,
    so clients and operators see the cause instead of a 500."""

    status, code = 507, "storage_full"
