"""OpenAPI 3.1 description built from the registered operations (the same schema objects
that validate requests), served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from odr.accounts import policy
from odr.api.registry import OPERATIONS, endpoint

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object"}}}},
}
_ERROR_TEXT = {400: "Bad input", 401: "No or bad credentials", 403: "Not allowed",
               404: "Unknown or not visible", 409: "State conflict", 413: "Too large",
               415: "File type not allowed", 422: "Rule broken", 429: "Rate limited"}


def _parameters(op: Any) -> list[dict[str, Any]]:
    params = []
    for name in __import__("re").findall(r"{([a-z_]+)}", op.path):
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
                       if name.endswith("id") else {"type": "string", "maxLength": 200}})
    if op.query is not None:
        for name, field in op.query.fields.items():
            params.append({"name": name, "in": "query", "required": field.required,
                           "schema": field.schema()})
    return params


def build_spec() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        item: dict[str, Any] = {"summary": op.summary, "tags": op.tags,
                                "operationId": f"{op.method}_{op.path}".replace("/", "_").replace("{", "").replace("}", ""),
                                "parameters": _parameters(op)}
        if op.body is not None:
            item["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body.schema()}}}
        if op.multipart is not None:
            item["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": op.multipart}}}
        success: dict[str, Any] = {"description": "OK"}
        if op.produces == "application/json":
            success["content"] = {"application/json": {"schema": op.response or {"type": "object"}}}
        else:
            success["content"] = {op.produces: {"schema": {"type": "string", "format": "binary"}}}
        responses: dict[str, Any] = {str(op.status): success}
        codes = set(op.errors) | {400, 404, 429} if op.body is not None or op.query is not None else set(op.errors) | {404}
        if op.auth:
            codes |= {401, 403}
        for code in sorted(codes):
            responses[str(code)] = {"description": _ERROR_TEXT.get(code, "Error"),
                                    "content": {"application/json": {"schema": ERROR_SCHEMA}}}
        item["responses"] = responses
        if op.auth:
            item["security"] = [{"bearer": []}, {"session": []}]
        paths.setdefault(op.path, {})[op.method] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": "ODR service API", "version": "1.0.0",
                 "description": "Online dispute resolution: the integration contract (API.md)."},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
    }


@endpoint("/openapi.json", summary="This API's OpenAPI 3.1 description", auth=False)
def openapi_json() -> Any:
    policy.public()
    return jsonify(build_spec())
