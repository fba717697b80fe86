"""The photo service on its own: what is stored is a fresh, small JPEG with none of the
uploader's metadata; anything that is not a real JPEG, PNG or WebP is refused before a
byte is written; replacing and removing leave exactly the files the rows point at."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from odr.audit.models import AuditEvent
from odr.core.errors import BadInput, Forbidden, TooLarge, UnsupportedType
from odr.core.storage import get_storage
from odr.extensions import db
from odr.mediators import photos
from odr.mediators.models import MediatorProfile
from tests.factories import World
from tests.pool.images import (
    CAMERA,
    HTML,
    SVG,
    jpeg_then_html,
    jpeg_with_exif,
    open_image,
    plain,
    png_claiming,
    truncated_jpeg,
)


def _stored() -> list[Any]:
    return get_storage().leftovers()


def test_exif_gps_camera_and_comment_are_gone_and_rotation_applied(app: Any) -> None:
    original = jpeg_with_exif(800, 400, orientation=6)
    assert open_image(original).getexif().get_ifd(0x8825)  # the phone's position is in the upload
    photo = photos.prepare_photo(original)
    img = open_image(photo.jpeg)
    assert img.format == "JPEG" and img.mode == "RGB"
    assert not img.getexif() and "exif" not in img.info and "comment" not in img.info
    assert "icc_profile" not in img.info and CAMERA.encode() not in photo.jpeg
    assert b"taken at home" not in photo.jpeg
    # orientation 6 means "turn 90° clockwise to view": the stored pixels are upright
    assert img.size == (photo.width, photo.height) == (375, 750)  # 400×800 upright, fitted to 600×750
    assert img.getpixel((img.width - 20, 20))[2] > 150  # the blue corner turned to the top right


@pytest.mark.parametrize("fmt,size,expected", [("PNG", (2400, 1800), (600, 450)),
                                               ("WEBP", (300, 900), (250, 750)),
                                               ("JPEG", (120, 150), (120, 150))])
def test_each_allowed_type_becomes_a_jpeg_within_the_box(app: Any, fmt: str, size: tuple[int, int],
                                                         expected: tuple[int, int]) -> None:
    photo = photos.prepare_photo(plain(fmt, size))
    img = open_image(photo.jpeg)
    assert img.format == "JPEG" and img.size == expected


def test_transparency_is_laid_on_white(app: Any) -> None:
    photo = photos.prepare_photo(plain("PNG", (40, 40), mode="RGBA", color=(255, 0, 0, 0)))
    r, g, b = open_image(photo.jpeg).getpixel((20, 20))
    assert min(r, g, b) > 245


@pytest.mark.parametrize("data,error,code", [
    (SVG, UnsupportedType, "unsupported_type"),
    (HTML, UnsupportedType, "unsupported_type"),
    (plain("GIF", (20, 20), mode="P", color=3), UnsupportedType, "unsupported_type"),
    (plain("BMP", (20, 20)), UnsupportedType, "unsupported_type"),
    (truncated_jpeg(), BadInput, "corrupt_image"),
    (jpeg_then_html(), BadInput, "corrupt_image"),
    (png_claiming(30000, 30000), BadInput, "corrupt_image"),
    (b"", BadInput, "file_missing"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * photos.MAX_PHOTO_BYTES, TooLarge, "file_too_large"),
])
def test_refused_before_anything_is_written(app: Any, world: World, data: bytes, error: type,
                                            code: str) -> None:
    prof = db.session.get(MediatorProfile, world.mediators[0].id)
    with pytest.raises(error) as caught:
        photos.set_photo(prof, data, world.org_admin)
    assert caught.value.code == code and caught.value.fields["file"]
    db.session.rollback()
    db.session.refresh(prof)
    assert prof.photo_key is None and _stored() == []
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action.like("mediator.photo%"))).first() is None


def test_replace_keeps_one_file_and_remove_keeps_none_each_audited(app: Any, world: World) -> None:
    prof = db.session.get(MediatorProfile, world.mediators[0].id)
    photos.set_photo(prof, plain("PNG", (200, 250)), world.org_admin)
    first = prof.photo_key
    assert first and [p.name for p in _stored()] == [first]
    photos.set_photo(prof, jpeg_with_exif(), world.admin)  # a platform admin may too
    second = prof.photo_key
    assert second != first and [p.name for p in _stored()] == [second]
    found = photos.stored_photo(second)
    assert found is not None and found[1] == "image/jpeg" and CAMERA.encode() not in found[0]
    photos.remove_photo(prof, world.org_admin)
    db.session.refresh(prof)
    assert prof.photo_key is None and _stored() == [] and photos.stored_photo(second) is None
    events = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.object_id)
                                .where(AuditEvent.action.like("mediator.photo%")).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("mediator.photo", world.org_admin.id), ("mediator.photo", world.admin.id),
        ("mediator.photo_remove", world.org_admin.id)]
    assert {e.object_id for e in events} == {str(prof.user_id)}


def test_other_organizations_admin_and_parties_are_refused(app: Any, world: World) -> None:
    prof = db.session.get(MediatorProfile, world.mediators[0].id)
    for outsider in (world.town_admin, world.applicant, world.town_mediator, world.judge):
        with pytest.raises(Forbidden):
            photos.set_photo(prof, plain("PNG"), outsider)
    photos.set_photo(prof, plain("PNG"), world.mediators[0])  # the mediator edits their own profile
    key = prof.photo_key
    with pytest.raises(Forbidden):
        photos.remove_photo(prof, world.town_admin)
    db.session.refresh(prof)
    assert prof.photo_key == key and [p.name for p in _stored()] == [key]
