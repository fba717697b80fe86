"""/staff (and, in the mediator-pool work, /mediators, availability and photos)."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import lazy_gettext as _l

from odr.accounts import policy
from odr.accounts.models import Role
from odr.api.conventions import created, page, paging_query, require_user
from odr.api.core_views import USER_OUT, user_json
from odr.api.registry import endpoint
from odr.api.schema import DateTime, Int, List, Obj, Str
from odr.cases.models import Category
from odr.core.errors import BadInput
from odr.mediators import photos
from odr.mediators.availability import availability_json, set_availability
from odr.mediators.directory import directory_query, mediator_detail_json, mediator_json
from odr.mediators.models import MediatorProfile
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


# ---------------------------------------------------------------- the mediator pool (issue 4)

MEDIATOR_OUT = {"type": "object",
                "required": ["id", "display_name", "organization_id", "specialties", "active_cases", "max_cases"],
                "properties": {"id": {"type": "integer"}, "display_name": {"type": "string"},
                               "organization_id": {"type": "integer"},
                               "specialties": {"type": "array", "items": {"type": "string"}},
                               "languages": {"type": "array", "items": {"type": "string"}},
                               "region_code": {"type": ["string", "null"]},
                               "years_of_practice": {"type": "integer"}, "status": {"type": "string"},
                               "active_cases": {"type": "integer"}, "max_cases": {"type": "integer"},
                               "available": {"type": "boolean"},
                               "rating": {"type": ["object", "null"]},
                               "bio": {"type": ["string", "null"]},
                               "qualifications": {"type": ["string", "null"]},
                               "photo_url": {"type": ["string", "null"], "format": "uri-reference",
                                             "description": "The photo's address on this server, or null"}}}
SLOT = {"type": "object", "required": ["weekday", "start", "end"],
        "properties": {"weekday": {"type": "integer"}, "start": {"type": "string"}, "end": {"type": "string"}}}
AVAILABILITY_OUT = {"type": "object", "required": ["weekly", "exceptions"],
                    "properties": {"weekly": {"type": "array", "items": SLOT},
                                   "exceptions": {"type": "array", "items": {"type": "object"}}}}
HHMM = r"([01]\d|2[0-3]):[0-5]\d|24:00"


@endpoint("/mediators", summary="Mediator directory", auth=False,
          query=paging_query(category=Str(required=False, enum=Category.ALL),
                             organization_id=Int(required=False, minimum=1),
                             region_code=Str(required=False, max_len=12, pattern=r"\d{2,12}"),
                             language=Str(required=False, max_len=30),
                             available_within=Int(required=False, minimum=0, maximum=365)),
          response={"type": "object", "required": ["items", "total"],
                    "properties": {"items": {"type": "array", "items": MEDIATOR_OUT}, "total": {"type": "integer"}}})
def mediators_list(query: dict[str, Any]) -> Any:
    policy.public()
    q = directory_query(organization_id=query.get("organization_id"), category=query.get("category"),
                        region_code=query.get("region_code"), language=query.get("language"),
                        available_within=query.get("available_within"))
    return page(q, query, lambda p: mediator_json(p, p.user))


@endpoint("/mediators/<int:mediator_id>", summary="One mediator's public profile", auth=False,
          response=MEDIATOR_OUT)
def mediators_get(mediator_id: int) -> Any:
    profile = policy.get_or_404(MediatorProfile, mediator_id, "mediator.view")
    return jsonify(mediator_detail_json(profile, profile.user))


@endpoint("/mediators/<int:mediator_id>/availability", summary="Weekly slots and absences", auth=False,
          response=AVAILABILITY_OUT)
def mediators_availability_get(mediator_id: int) -> Any:
    profile = policy.get_or_404(MediatorProfile, mediator_id, "mediator.view")
    return jsonify(availability_json(profile.user_id))


@endpoint("/mediators/<int:mediator_id>/availability", "PUT",
          summary="Replace weekly slots and absences (the mediator, their organization admin)",
          body=Obj({"weekly": List(Obj({"weekday": Int(minimum=0, maximum=6), "start": Str(pattern=HHMM),
                                        "end": Str(pattern=HHMM)}), max_items=70),
                    "exceptions": List(Obj({"start": DateTime(), "end": DateTime(),
                                            "reason": Str(required=False, nullable=True, max_len=200)}),
                                       required=False, max_items=200)}),
          response=AVAILABILITY_OUT, errors=(400, 403, 404))
def mediators_availability_put(mediator_id: int, body: dict[str, Any]) -> Any:
    profile = policy.get_or_404(MediatorProfile, mediator_id, "mediator.manage")
    return jsonify(set_availability(profile, body["weekly"], body.get("exceptions") or [], require_user()))


PHOTO_FORM = {"type": "object", "required": ["file"],
              "properties": {"file": {"type": "string", "format": "binary",
                                      "description": "JPEG, PNG or WebP (sniffed from the content), at most 5 MB; "
                                                     "stored re-encoded as a JPEG of at most 600x750 without "
                                                     "metadata"}}}
PHOTO_OUT = {"type": "object", "required": ["id", "photo_url"],
             "properties": {"id": {"type": "integer"},
                            "photo_url": {"type": ["string", "null"], "format": "uri-reference"}}}


def _photo_json(profile: MediatorProfile) -> dict[str, Any]:
    return {"id": profile.user_id, "photo_url": photos.photo_url(profile)}


@endpoint("/mediators/<int:mediator_id>/photo", "PUT",
          summary="Upload or replace the mediator's photo (their organization admin, a platform admin, "
                  "the mediator)", multipart=PHOTO_FORM, response=PHOTO_OUT, errors=(400, 401, 403, 404, 413, 415))
def mediators_photo_put(mediator_id: int) -> Any:
    profile = policy.get_or_404(MediatorProfile, mediator_id, "mediator.photo")
    actor = require_user()
    request.max_content_length = photos.MAX_PHOTO_REQUEST_BYTES  # before the body is read
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        msg = _l("Send the photo as multipart/form-data in a field named file.")
        raise BadInput(msg, code="file_missing", fields={"file": msg})
    return jsonify(_photo_json(photos.set_photo(profile, photos.read_upload(upload.stream), actor)))


@endpoint("/mediators/<int:mediator_id>/photo", "DELETE",
          summary="Remove the mediator's photo (their organization admin, a platform admin, the mediator)",
          response=PHOTO_OUT, errors=(401, 403, 404))
def mediators_photo_delete(mediator_id: int) -> Any:
    profile = policy.get_or_404(MediatorProfile, mediator_id, "mediator.photo")
    return jsonify(_photo_json(photos.remove_photo(profile, require_user())))
