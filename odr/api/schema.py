"""Request validation that is also the OpenAPI description.

Each endpoint declares its body and query with these fields; the same objects validate
the request and produce the JSON Schema served at /api/v1/openapi.json, so the two
cannot drift. Validation errors collect every field's message (dotted paths) into one
400 in API.md's error shape.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from odr.core.errors import BadInput
from odr.core.time import parse_iso

MISSING = object()


class FieldError(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class Field:
    json_type: str | list[str] = "string"

    def __init__(self, *, required: bool = True, nullable: bool = False,
                 description: str | None = None, default: Any = MISSING) -> None:
        self.required = required and default is MISSING
        self.nullable = nullable
        self.description = description
        self.default = default

    def convert(self, value: Any) -> Any:
        return value

    def validate(self, value: Any) -> Any:
        if value is None:
            if self.nullable or not self.required:
                return None
            raise FieldError(_l("This field is required."))
        return self.convert(value)

    def extra_schema(self) -> dict[str, Any]:
        return {}

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": [self.json_type, "null"] if self.nullable else self.json_type}
        out.update(self.extra_schema())
        if self.description:
            out["description"] = self.description
        return out


class Str(Field):
    def __init__(self, *, min_len: int = 0, max_len: int = 1000, pattern: str | None = None,
                 enum: tuple[str, ...] | list[str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.min_len, self.max_len, self.pattern, self.enum = min_len, max_len, pattern, enum

    def convert(self, value: Any) -> str:
        if not isinstance(value, str):
            raise FieldError(_l("Must be text."))
        value = value.strip()
        if "\x00" in value:
            raise FieldError(_l("Contains characters that are not allowed."))
        if len(value) < max(self.min_len, 1 if self.required else 0):
            raise FieldError(_l("This field is required.") if not value else
                             _l("Must be at least %(n)d characters.", n=self.min_len))
        if len(value) > self.max_len:
            raise FieldError(_l("Must be at most %(n)d characters.", n=self.max_len))
        if self.enum is not None and value not in self.enum:
            raise FieldError(_l("Must be one of: %(values)s.", values=", ".join(self.enum)))
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise FieldError(_l("Has the wrong format."))
        return value

    def extra_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"maxLength": self.max_len}
        if self.min_len or self.required:
            out["minLength"] = max(self.min_len, 1 if self.required else 0)
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.pattern:
            out["pattern"] = f"^(?:{self.pattern})$"
        return out


class Int(Field):
    json_type = "integer"

    def __init__(self, *, minimum: int | None = None, maximum: int | None = 2**31 - 1, **kw: Any) -> None:
        super().__init__(**kw)
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value: Any) -> int:
        if isinstance(value, bool):
            raise FieldError(_l("Must be a whole number."))
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
            value = int(value)
        if not isinstance(value, int):
            raise FieldError(_l("Must be a whole number."))
        if self.minimum is not None and value < self.minimum:
            raise FieldError(_l("Must be at least %(n)d.", n=self.minimum))
        if self.maximum is not None and value > self.maximum:
            raise FieldError(_l("Must be at most %(n)d.", n=self.maximum))
        return value

    def extra_schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


class Bool(Field):
    json_type = "boolean"

    def convert(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0"}:
            return value.lower() in {"true", "1"}
        raise FieldError(_l("Must be true or false."))


class Money(Field):
    """CNY as a decimal string ("20000.00"); numbers are accepted too."""

    def convert(self, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise FieldError(_l("Must be an amount such as 20000.00."))
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise FieldError(_l("Must be an amount such as 20000.00.")) from None
        if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12") or amount != amount.quantize(Decimal("0.01")):
            raise FieldError(_l("Must be an amount such as 20000.00."))
        return amount.quantize(Decimal("0.01"))

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": ["string", "null"] if self.nullable else "string",
                               "pattern": r"^\d{1,12}(\.\d{1,2})?$", "examples": ["20000.00"]}
        if self.description:
            out["description"] = self.description
        return out


class DateTime(Field):
    def convert(self, value: Any) -> datetime:
        if not isinstance(value, str):
            raise FieldError(_l("Must be a time in ISO 8601 with a time zone."))
        try:
            return parse_iso(value)
        except (ValueError, OverflowError):
            raise FieldError(_l("Must be a time in ISO 8601 with a time zone, e.g. 2026-12-01T09:00:00+08:00.")) from None

    def extra_schema(self) -> dict[str, Any]:
        return {"format": "date-time"}


class Date(Field):
    def convert(self, value: Any) -> date:
        if not isinstance(value, str):
            raise FieldError(_l("Must be a date such as 2026-12-31."))
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise FieldError(_l("Must be a date such as 2026-12-31.")) from None

    def extra_schema(self) -> dict[str, Any]:
        return {"format": "date"}


class List(Field):
    json_type = "array"

    def __init__(self, item: Field, *, min_items: int = 0, max_items: int = 100, **kw: Any) -> None:
        super().__init__(**kw)
        self.item, self.min_items, self.max_items = item, min_items, max_items

    def convert(self, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise FieldError(_l("Must be a list."))
        if len(value) < self.min_items:
            raise FieldError(_l("Needs at least %(n)d item(s).", n=self.min_items))
        if len(value) > self.max_items:
            raise FieldError(_l("Allows at most %(n)d items.", n=self.max_items))
        out, errors = [], {}
        for i, item in enumerate(value):
            try:
                out.append(self.item.validate(item))
            except NestedErrors as nested:
                errors.update({f"{i}.{k}": v for k, v in nested.fields.items()})
            except FieldError as exc:
                errors[str(i)] = exc.message
        if errors:
            raise NestedErrors(errors)
        return out

    def extra_schema(self) -> dict[str, Any]:
        return {"items": self.item.schema(), "minItems": self.min_items, "maxItems": self.max_items}


class NestedErrors(FieldError):
    def __init__(self, fields: dict[str, Any]) -> None:
        super().__init__("invalid")
        self.fields = fields


class Obj(Field):
    json_type = "object"

    def __init__(self, fields: dict[str, Field], *, allow_extra: bool = False, **kw: Any) -> None:
        super().__init__(**kw)
        self.fields, self.allow_extra = fields, allow_extra

    def convert(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise FieldError(_l("Must be a JSON object."))
        out: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, field in self.fields.items():
            raw = value.get(name, MISSING)
            if raw is MISSING:
                if field.required:
                    errors[name] = _l("This field is required.")
                elif field.default is not MISSING:
                    out[name] = field.default() if callable(field.default) else field.default
                continue
            try:
                out[name] = field.validate(raw)
            except NestedErrors as nested:
                errors.update({f"{name}.{k}": v for k, v in nested.fields.items()})
            except FieldError as exc:
                errors[name] = exc.message
        if not self.allow_extra:
            for name in value:
                if name not in self.fields:
                    errors[name] = _l("Unknown field.")
        if errors:
            raise NestedErrors(errors)
        return out

    def extra_schema(self) -> dict[str, Any]:
        return {
            "properties": {k: f.schema() for k, f in self.fields.items()},
            "required": [k for k, f in self.fields.items() if f.required],
            "additionalProperties": self.allow_extra,
        }


def validate(schema: Obj, data: Any) -> dict[str, Any]:
    """Validate ``data`` against ``schema`` or raise BadInput with per-field messages."""
    try:
        return schema.validate(data if data is not None else MISSING_BODY)
    except NestedErrors as nested:
        raise BadInput(_l("Some fields are invalid."), fields=nested.fields) from None
    except FieldError as exc:
        raise BadInput(exc.message) from None


class _MissingBody(dict):
    pass


MISSING_BODY = _MissingBody()
