"""/staff (and, in the mediator-pool work, /mediators and availability)."""

from __future__ import annotations

from typing import Any

from odr.accounts import policy
from odr.accounts.models import Role
from odr.api.conventions import created, require_user
from odr.api.core_views import USER_OUT, user_json
from odr.api.registry import endpoint
from odr.api.schema import Int, List, Obj, Str
from odr.cases.models import Category
from odr.mediators.staff import create_staff


@endpoint("/staff", "POST", summary="Create a staff account", status=201,
          body=Obj({"username": Str(max_len=64), "password": Str(max_len=128),
                    "display_name": Str(max_len=100),
                    "role": Str(enum=(Role.MEDIATOR, Role.ORG_ADMIN, Role.JUDGE, Role.CLERK)),
                    "organization_id": Int(required=False, nullable=True, minimum=1),
                    "court_id": Int(required=False, nullable=True, minimum=1),
                    "specialties": List(Str(enum=Category.ALL), required=False, max_items=12),
                    "languages": List(Str(max_len=30), required=False, max_items=10),
                    "max_cases": Int(required=False, minimum=1, maximum=500),
                    "phone": Str(required=False, nullable=True, max_len=20),
                    "email": Str(required=False, nullable=True, max_len=254),
                    "region_code": Str(required=False, nullable=True, max_len=12),
                    "bio": Str(required=False, nullable=True, max_len=4000),
                    "years_of_practice": Int(required=False, minimum=0, maximum=80)}),
          response=USER_OUT)
def staff_create(body: dict[str, Any]) -> Any:
    policy.mark_checked()
    actor = require_user()
    if actor.role not in (Role.ADMIN, Role.ORG_ADMIN):
        policy.authorize("admin.access")
    return created(user_json(create_staff(body, actor)))
