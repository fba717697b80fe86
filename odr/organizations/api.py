"""/courts and /organizations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from odr.accounts import policy
from odr.api.conventions import created, page, paging_query, require_user
from odr.api.registry import endpoint
from odr.api.schema import Int, List, Obj, Str
from odr.cases.models import Category
from odr.organizations.models import Court, Organization, OrgKind, OrgLevel
from odr.organizations.services import create_court, create_organization

COURT_OUT = {"type": "object", "required": ["id", "name", "code", "region_code"],
             "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                            "code": {"type": "string"}, "region_code": {"type": "string"}}}
ORG_OUT = {"type": "object", "required": ["id", "name", "kind", "level", "region_code", "parent_id"],
           "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                          "kind": {"type": "string"}, "level": {"type": "string"},
                          "region_code": {"type": "string"}, "parent_id": {"type": ["integer", "null"]}}}


def court_json(c: Court) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "code": c.code, "region_code": c.region_code, "level": c.level}


def org_json(o: Organization) -> dict[str, Any]:
    return {"id": o.id, "name": o.name, "kind": o.kind, "level": o.level, "region_code": o.region_code,
            "parent_id": o.parent_id, "credit_code": o.credit_code, "categories": o.categories,
            "court_ids": [c.id for c in o.courts], "fees": o.fees, "contact_phone": o.contact_phone}


@endpoint("/courts", "POST", summary="Create a court (platform admin)", status=201,
          body=Obj({"name": Str(max_len=100), "code": Str(max_len=16), "region_code": Str(max_len=12),
                    "level": Str(required=False, enum=("basic", "intermediate", "high")),
                    "address": Str(required=False, nullable=True, max_len=200)}),
          response=COURT_OUT)
def courts_create(body: dict[str, Any]) -> Any:
    policy.authorize("court.create")
    return created(court_json(create_court(body, require_user())))


@endpoint("/courts", summary="Courts", auth=False, query=paging_query(),
          response={"type": "object", "properties": {"items": {"type": "array", "items": COURT_OUT},
                                                     "total": {"type": "integer"}}})
def courts_list(query: dict[str, Any]) -> Any:
    policy.public()
    return page(select(Court).order_by(Court.id), query, court_json)


@endpoint("/organizations", "POST", summary="Create a mediation organization (platform admin)", status=201,
          body=Obj({"name": Str(max_len=120), "kind": Str(enum=OrgKind.ALL), "level": Str(enum=OrgLevel.ALL),
                    "region_code": Str(max_len=12), "credit_code": Str(max_len=18),
                    "parent_id": Int(required=False, nullable=True, minimum=1),
                    "court_ids": List(Int(minimum=1), required=False, max_items=20),
                    "categories": List(Str(enum=Category.ALL), required=False, max_items=20),
                    "contact_phone": Str(required=False, nullable=True, max_len=30),
                    "address": Str(required=False, nullable=True, max_len=200),
                    "description": Str(required=False, nullable=True, max_len=4000),
                    "fees": Str(required=False, nullable=True, max_len=1000),
                    "short_name": Str(required=False, nullable=True, max_len=40)}),
          response=ORG_OUT)
def organizations_create(body: dict[str, Any]) -> Any:
    policy.authorize("organization.create")
    return created(org_json(create_organization(body, require_user())))


@endpoint("/organizations", summary="Mediation organizations", auth=False,
          query=paging_query(region_code=Str(required=False, max_len=12),
                             level=Str(required=False, enum=OrgLevel.ALL),
                             kind=Str(required=False, enum=OrgKind.ALL),
                             parent_id=Int(required=False, minimum=1)),
          response={"type": "object", "required": ["items", "total"],
                    "properties": {"items": {"type": "array", "items": ORG_OUT}, "total": {"type": "integer"}}})
def organizations_list(query: dict[str, Any]) -> Any:
    policy.public()
    q = select(Organization).where(Organization.active.is_(True)).order_by(Organization.id)
    if query.get("region_code"):
        q = q.where(Organization.region_code.startswith(query["region_code"]))
    if query.get("level"):
        q = q.where(Organization.level == query["level"])
    if query.get("kind"):
        q = q.where(Organization.kind == query["kind"])
    if query.get("parent_id"):
        q = q.where(Organization.parent_id == query["parent_id"])
    return page(q, query, org_json)
