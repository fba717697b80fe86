"""Shared steps for agreement and document tests: a case in mediation, a drafted and a
fully signed agreement, all through the real API."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from odr.cases.models import Case
from tests.case_factories import case_in_mediation
from tests.conftest import api_token
from tests.factories import PASSWORD, World

TERMS = [{"obligor": "李四", "obligee": "张三", "description": "赔偿损失", "amount": "12000.00",
          "due_date": "2026-12-31", "method": "lump_sum"},
         {"obligor": "李四", "description": "于十日内清除通道上的杂物", "method": "act"}]


def mediation_case(world: World, **overrides: Any) -> Case:
    case = case_in_mediation(world, **overrides)
    assert case.status == "in_mediation" and case.mediator_id == world.mediators[0].id
    return case


def draft(client: FlaskClient, world: World, case: Case, **body: Any) -> dict[str, Any]:
    headers = api_token(client, world.mediators[0].username)
    payload = {"terms": TERMS, "other_terms": "双方就本纠纷再无其他争议。", **body}
    resp = client.put(f"/api/v1/cases/{case.id}/agreement", json=payload, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def sign(client: FlaskClient, username: str, agreement_id: int, **extra: Any) -> Any:
    headers = api_token(client, username)
    return client.post(f"/api/v1/agreements/{agreement_id}/sign",
                       json={"password": PASSWORD, **extra}, headers=headers)


def effective_agreement(client: FlaskClient, world: World, case: Case) -> dict[str, Any]:
    agreement = draft(client, world, case)
    for username in ("applicant", "respondent", world.mediators[0].username):
        resp = sign(client, username, agreement["id"])
        assert resp.status_code == 200, resp.get_json()
    return resp.get_json()
