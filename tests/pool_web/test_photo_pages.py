"""A mediator's photo through the pages: the organization admin uploads it on the edit
screen, the public directory and profile show it, refusals keep what was typed and
leave no file and no changed row, another organization's admin cannot touch it."""

from __future__ import annotations

import io
import re
from typing import Any

from odr.core.storage import get_storage
from tests.factories import World
from tests.pool.images import CAMERA, HTML, SVG, jpeg_with_exif, open_image, plain, truncated_jpeg
from tests.pool_web.helpers import as_user, profile


def _form(token: str, world: World, **more: Any) -> dict[str, Any]:
    return {"csrf_token": token, "display_name": "陈调解员", "specialties": ["neighbour", "contract"],
            "languages": "zh, 诸暨话", "region_code": world.county.region_code, "years_of_practice": "4",
            "max_cases": "5", "bio": "", "qualifications": "", **more}


def _send(client: Any, mid: int, data: dict[str, Any]) -> Any:
    return client.post(f"/pool/{mid}/edit", data=data, content_type="multipart/form-data")


def _file(data: bytes, name: str = "me.jpg", mime: str = "image/jpeg") -> tuple[io.BytesIO, str, str]:
    return io.BytesIO(data), name, mime


def _stored() -> list[Any]:
    return get_storage().leftovers()


def _photo_src(html: str, mid: int) -> str:
    match = re.search(rf'<img class="mediator-thumb" src="(/mediators/{mid}/photo\?v=[0-9a-f]+)"([^>]*)>', html)
    assert match, "no photo in the page"
    return match.group(1) + "\n" + match.group(2)


def test_admin_uploads_and_the_public_gets_a_clean_jpeg(client: Any, world: World) -> None:
    mid = world.mediators[0].id
    token = as_user(client, "orgadmin", f"/pool/{mid}/edit")
    edit_page = client.get(f"/pool/{mid}/edit").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in edit_page and 'accept="image/jpeg,image/png,image/webp"' in edit_page
    resp = _send(client, mid, _form(token, world, bio="新简介", photo=_file(jpeg_with_exif(1600, 1200))))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    prof = profile(mid)
    assert prof.photo_key and prof.bio == "新简介" and [p.name for p in _stored()] == [prof.photo_key]

    public = client.application.test_client()
    listing = public.get("/mediators").get_data(as_text=True)
    src, attrs = _photo_src(listing, mid).split("\n")
    assert 'width="48"' in attrs and 'height="60"' in attrs and 'loading="lazy"' in attrs
    assert "mediator-thumb-empty" in listing  # the others have no photo: the placeholder
    resp = public.get(src)
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    img = open_image(resp.data)
    assert img.format == "JPEG" and not img.getexif() and "exif" not in img.info
    assert CAMERA.encode() not in resp.data and img.size == (562, 750)  # turned upright, fitted
    assert src in public.get(f"/mediators/{mid}").get_data(as_text=True)


def test_replacing_serves_the_new_photo_and_deletes_the_old_file(client: Any, world: World) -> None:
    mid = world.mediators[0].id
    token = as_user(client, "orgadmin", f"/pool/{mid}/edit")
    assert _send(client, mid, _form(token, world, photo=_file(plain("PNG", (300, 300), color=(255, 0, 0)),
                                                               "a.png", "image/png"))).status_code == 302
    first = profile(mid).photo_key
    assert _send(client, mid, _form(token, world, photo=_file(plain("WEBP", (300, 300), color=(0, 0, 255)),
                                                               "b.webp", "image/webp"))).status_code == 302
    second = profile(mid).photo_key
    assert second != first and [p.name for p in _stored()] == [second]
    served = client.application.test_client().get(f"/mediators/{mid}/photo?v={second[:12]}")
    r, g, b = open_image(served.data).getpixel((10, 10))
    assert served.mimetype == "image/jpeg" and b > 200 and r < 60
    # "remove photo": the file goes, the directory shows the placeholder, the address is gone
    resp = _send(client, mid, _form(token, world, remove_photo="y"))
    assert resp.status_code == 302
    assert profile(mid).photo_key is None and _stored() == []
    assert client.get(f"/mediators/{mid}/photo").status_code == 404
    assert f'/mediators/{mid}/photo' not in client.get("/mediators").get_data(as_text=True)


def test_refusals_keep_the_form_and_change_nothing(client: Any, world: World) -> None:
    mid = world.mediators[0].id
    token = as_user(client, "orgadmin", f"/pool/{mid}/edit")
    typed = {"display_name": "陈新名字", "bio": "typed bio 保留"}
    cases = [
        (_file(SVG, "photo.jpg"), 415, "must be a JPEG, PNG or WebP image"),
        (_file(HTML, "photo.jpg"), 415, "must be a JPEG, PNG or WebP image"),
        (_file(truncated_jpeg()), 400, "damaged or incomplete"),
        (_file(b"\xff\xd8\xff\xe0" + b"\x00" * (5 * 1024 * 1024)), 413, "larger than 5 MB"),
    ]
    for upload, status, message in cases:
        resp = _send(client, mid, _form(token, world, photo=upload, **typed))
        html = resp.get_data(as_text=True)
        assert resp.status_code == status, (status, html[:300])
        assert message in html and "typed bio 保留" in html and 'value="陈新名字"' in html
        prof = profile(mid)
        assert prof.photo_key is None and prof.bio is None and prof.user.display_name == "陈调解员"
        assert _stored() == []
    # a body too large to read at all: refused at once, the saved profile shown, nothing kept
    huge = _file(b"\xff\xd8\xff\xe0" + b"\x00" * (21 * 1024 * 1024))
    resp = _send(client, mid, _form(token, world, photo=huge, **typed))
    assert resp.status_code == 413 and "larger than 5 MB" in resp.get_data(as_text=True)
    assert profile(mid).photo_key is None and _stored() == []
    # a bad profile field with a good photo: nothing is stored either
    resp = _send(client, mid, _form(token, world, region_code="999999", photo=_file(plain("PNG"), "ok.png")))
    assert resp.status_code == 400 and "Unknown region code." in resp.get_data(as_text=True)
    assert profile(mid).photo_key is None and _stored() == []


def test_other_organizations_admin_cannot_change_the_photo(client: Any, world: World) -> None:
    mid = world.mediators[0].id
    token = as_user(client, "townadmin", "/pool")
    assert client.get(f"/pool/{mid}/edit").status_code in (403, 404)
    resp = _send(client, mid, _form(token, world, photo=_file(plain("PNG"), "x.png", "image/png")))
    assert resp.status_code in (403, 404)
    resp = _send(client, mid, _form(token, world, remove_photo="y"))
    assert resp.status_code in (403, 404)
    assert profile(mid).photo_key is None and _stored() == []


def test_the_mediator_changes_their_own_photo(client: Any, world: World) -> None:
    mid = world.mediators[0].id
    token = as_user(client, "mediator", f"/pool/{mid}/edit")
    resp = _send(client, mid, _form(token, world, photo=_file(plain("JPEG"))))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/mediators/{mid}")
    assert profile(mid).photo_key and [p.name for p in _stored()] == [profile(mid).photo_key]
