"""The API blueprint and the decorator every endpoint is declared with.

``endpoint`` registers the route, parses and validates the JSON body and query string
against the declared schema, hands the result to the view, and records the operation
for the OpenAPI description. Rooms put their endpoints in ``odr/<room>/api.py``; the api
room imports those modules before registering the blueprint.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from odr.api.schema import Obj, validate
from odr.core.errors import BadInput, NotFound, TooLarge, UnsupportedType

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
#: the largest id a path may carry (PostgreSQL INTEGER); larger ones are simply unknown
MAX_ID = 2**31 - 1


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    tags: list[str]
    body: Obj | None
    query: Obj | None
    response: dict[str, Any] | None
    status: int
    auth: bool
    multipart: dict[str, Any] | None = None
    produces: str = "application/json"
    errors: tuple[int, ...] = field(default_factory=tuple)


OPERATIONS: list[Operation] = []


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def endpoint(rule: str, method: str = "GET", *, summary: str, tags: list[str] | None = None,
             body: Obj | None = None, query: Obj | None = None,
             response: dict[str, Any] | None = None, status: int = 200, auth: bool = True,
             multipart: dict[str, Any] | None = None, produces: str = "application/json",
             errors: tuple[int, ...] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare an API endpoint. The view receives ``body=``/``query=`` when declared."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(**kwargs: Any) -> Any:
            for value in kwargs.values():  # ids beyond the database's integer range: unknown, not a 500
                if isinstance(value, int) and not 0 < value <= MAX_ID:
                    raise NotFound()
            if body is not None:
                if not request.is_json:
                    if request.mimetype and request.mimetype != "application/json" and request.content_length:
                        raise UnsupportedType(_l("Send JSON (Content-Type: application/json)."))
                data = request.get_json(silent=True) if request.content_length or request.data else {}
                if data is None:
                    raise BadInput(_l("The request body is not valid JSON."), code="malformed_json")
                kwargs["body"] = validate(body, data)
            if query is not None:
                kwargs["query"] = validate(query, {k: v for k, v in request.args.items()})
            return fn(**kwargs)

        endpoint_name = f"{fn.__module__.split('.')[1]}_{fn.__name__}"
        api_bp.add_url_rule(rule, endpoint=endpoint_name, view_func=view, methods=[method])
        OPERATIONS.append(Operation(method.lower(), _openapi_path(api_bp.url_prefix + rule), summary,
                                    tags or [fn.__module__.split(".")[1]], body, query, response,
                                    status, auth, multipart, produces, errors))
        return view

    return decorate


def check_body_size(max_bytes: int) -> None:
    length = request.content_length
    if length is not None and length > max_bytes and request.mimetype == "application/json":
        raise TooLarge(_l("The request body is too large."))
