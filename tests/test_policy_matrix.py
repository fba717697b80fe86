"""Walk every registered URL rule as every role, against objects they do and do not own.

Properties checked for every rule × role × method:
- never a 5xx;
- a response under 400 only from an endpoint that asked the policy module (the app marks
  unchecked answers with X-ODR-Policy-Unchecked in testing) — a new endpoint without a
  policy check fails here;
- a user unrelated to the case world (a party of nothing, an admin of another organization,
  a mediator of no case, a judge of another court) never gets a 2xx from a rule that names
  one of the world's objects, unless the endpoint is public (it said so with policy.public());
- the people concerned do get their pages (checked for the main ones).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from flask import Flask

from odr.accounts.models import Role
from odr.api.registry import OPERATIONS
from odr.extensions import db
from tests.conftest import api_token, csrf_token, login
from tests.factories import PASSWORD, World

SKIP_ENDPOINTS = {"static", "accounts.logout"}  # logout would end the walking sessions
ALLOWED = {200, 201, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429}


def _rich_world(world: World) -> dict[str, Any]:
    """Objects of every type in one case, built through the real services."""
    from tests.case_factories import rich_case

    return {"case": rich_case(world)}


def _first_id(model_path: str) -> Any:
    module, cls = model_path.rsplit(".", 1)
    model = getattr(importlib.import_module(module), cls)
    row = db.session.query(model).order_by(model.__mapper__.primary_key[0]).first()
    if row is None:
        return None
    if cls == "Document":
        return row
    return getattr(row, model.__mapper__.primary_key[0].name)


SEGMENT_MODELS = {
    "cases": "odr.cases.models.Case", "evidence": "odr.evidence.models.Evidence",
    "sessions": "odr.scheduling.models.MediationSession", "agreements": "odr.agreements.models.Agreement",
    "documents": "odr.documents.models.Document",
    "confirmations": "odr.confirmation.models.ConfirmationApplication",
    "organizations": "odr.organizations.models.Organization", "courts": "odr.organizations.models.Court",
    "mediators": "odr.mediators.models.MediatorProfile", "users": "odr.accounts.models.User",
    "notifications": "odr.notifications.models.Notification", "minutes": "odr.scheduling.models.Minutes",
}


def _fill(rule: Any) -> tuple[str, bool]:
    """A URL for ``rule`` pointing at the world's objects; True if it names one."""
    path = rule.rule
    names_object = False
    for match in re.finditer(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>", rule.rule):
        converter, name = match.group(1), match.group(2)
        before = rule.rule[: match.start()].rstrip("/").split("/")[-1]
        value: Any = "1"
        if name in ("code",) and before == "lang":
            value = "en"
        elif before == "verify" or name == "code":
            doc = _first_id("odr.documents.models.Document")
            value = doc.verify_code if doc is not None else "ABCDEFGHJK"
            names_object = doc is not None
        elif before in SEGMENT_MODELS or name.removesuffix("_id") + "s" in SEGMENT_MODELS:
            key = before if before in SEGMENT_MODELS else name.removesuffix("_id") + "s"
            found = _first_id(SEGMENT_MODELS[key])
            if isinstance(found, object) and hasattr(found, "id"):
                found = found.id
            value = found if found is not None else 1
            names_object = found is not None and key not in ("organizations", "courts", "mediators")
        elif converter == "path":
            value = "css/app.css"
        path = path.replace(match.group(0), str(value), 1)
    return path, names_object


def _clients(app: Flask, world: World) -> dict[str, Any]:
    people = {
        "anonymous": None, "applicant": world.applicant.username, "respondent": world.respondent.username,
        "outsider": world.outsider.username, "mediator": world.mediators[0].username,
        "other_mediator": world.town_mediator.username, "org_admin": world.org_admin.username,
        "other_org_admin": world.town_admin.username, "judge": world.judge.username,
        "clerk": world.clerk.username, "admin": world.admin.username,
    }
    out = {}
    for label, username in people.items():
        client = app.test_client()
        headers: dict[str, str] = {}
        if username:
            assert login(client, username, PASSWORD).status_code == 302
            headers = api_token(app.test_client(), username)
        out[label] = (client, headers)
    return out


UNRELATED = ("outsider", "other_mediator", "other_org_admin")


@pytest.mark.slow
def test_every_rule_for_every_role(app: Flask, world: World) -> None:
    objs = _rich_world(world)
    clients = _clients(app, world)
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIP_ENDPOINTS]
    assert len(rules) > 15
    problems: list[str] = []
    for rule in rules:
        url, names_object = _fill(rule)
        methods = sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS"))
        for method in methods:
            for label, (client, headers) in clients.items():
                is_api = url.startswith("/api/")
                kwargs: dict[str, Any] = {}
                if method != "GET":
                    if is_api:
                        kwargs = {"json": {}, "headers": headers}
                    else:
                        token = csrf_token(client)
                        kwargs = {"data": {"csrf_token": token}}
                elif is_api:
                    kwargs = {"headers": headers}
                resp = client.open(url, method=method, **kwargs)
                where = f"{method} {url} as {label} → {resp.status_code}"
                if resp.status_code not in ALLOWED:
                    problems.append(f"{where}: unexpected status")
                if resp.headers.get("X-ODR-Policy-Unchecked"):
                    problems.append(f"{where}: answered without asking the policy module")
                if (names_object and label in UNRELATED and 200 <= resp.status_code < 300
                        and not resp.headers.get("X-ODR-Policy-Public")):
                    problems.append(f"{where}: an unrelated user got the object")
    assert not problems, "\n".join(problems[:60])
    if "case" in objs:
        case_id = objs["case"].id
        for label in ("applicant", "respondent", "mediator", "org_admin", "admin"):
            client, _ = clients[label]
            assert client.get(f"/cases/{case_id}").status_code == 200, label
        for label in UNRELATED:
            client, _ = clients[label]
            assert client.get(f"/cases/{case_id}").status_code == 404, label


def test_api_operations_are_all_routes(app: Flask) -> None:
    """Every declared API operation is a live route (the OpenAPI description cannot drift)."""
    live = {(m.lower(), re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", r.rule))
            for r in app.url_map.iter_rules() for m in r.methods}
    for op in OPERATIONS:
        assert (op.method, op.path) in live, f"{op.method} {op.path}"


def test_roles_constant_matches_design() -> None:
    assert set(Role.ALL) == {"party", "mediator", "org_admin", "judge", "clerk", "admin"}
