"""PUT/DELETE /api/v1/mediators/{id}/photo and ``photo_url`` in the mediator JSON: the
organization's admin (or a platform admin) uploads and removes; bad files are 4xx with
API.md's error shape, never 500; others are refused; the description lists both."""

from __future__ import annotations

import io
from typing import Any

from odr.core.storage import get_storage
from tests.conftest import api_token
from tests.factories import World
from tests.pool.images import CAMERA, SVG, jpeg_then_html, jpeg_with_exif, open_image, plain
from tests.pool_web.helpers import profile


def _put(client: Any, mid: int, headers: dict[str, str], data: bytes, name: str = "p.jpg") -> Any:
    return client.put(f"/api/v1/mediators/{mid}/photo", headers=headers, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(data), name, "image/jpeg")})


def _error(resp: Any, status: int, code: str) -> dict[str, Any]:
    body = resp.get_json()
    assert resp.status_code == status and body["error"]["code"] == code, (resp.status_code, body)
    assert body["error"]["message"]
    return body["error"]


def test_upload_shows_in_the_mediator_json_and_delete_removes(client: Any, world: World) -> None:
    mid = world.mediators[0].id
    assert client.get(f"/api/v1/mediators/{mid}").get_json()["photo_url"] is None
    headers = api_token(client, "orgadmin")
    resp = _put(client, mid, headers, jpeg_with_exif(1200, 900, orientation=1))
    assert resp.status_code == 200, resp.get_json()
    url = resp.get_json()["photo_url"]
    key = profile(mid).photo_key
    assert resp.get_json()["id"] == mid and url == f"/mediators/{mid}/photo?v={key[:12]}"
    detail = client.get(f"/api/v1/mediators/{mid}").get_json()
    assert detail["photo_url"] == url and detail["display_name"] and "bio" in detail
    listed = {m["id"]: m for m in client.get("/api/v1/mediators").get_json()["items"]}
    assert listed[mid]["photo_url"] == url and listed[world.mediators[1].id]["photo_url"] is None
    image = client.get(url)
    assert image.mimetype == "image/jpeg" and image.headers["X-Content-Type-Options"] == "nosniff"
    assert open_image(image.data).size == (600, 450) and CAMERA.encode() not in image.data
    resp = client.delete(f"/api/v1/mediators/{mid}/photo", headers=headers)
    assert resp.status_code == 200 and resp.get_json() == {"id": mid, "photo_url": None}
    assert profile(mid).photo_key is None and get_storage().leftovers() == []
    assert client.get(f"/api/v1/mediators/{mid}").get_json()["photo_url"] is None
    assert client.delete(f"/api/v1/mediators/{mid}/photo", headers=headers).status_code == 200  # idempotent


def test_bad_input_is_refused_with_the_error_shape(client: Any, world: World) -> None:
    mid = world.mediators[0].id
    headers = api_token(client, "admin")  # a platform admin may manage any pool
    assert _error(_put(client, mid, headers, SVG, "evil.jpg"), 415, "unsupported_type")["fields"]["file"]
    _error(_put(client, mid, headers, jpeg_then_html()), 400, "corrupt_image")
    _error(_put(client, mid, headers, b"\xff\xd8\xff\xe0" + b"\x00" * (5 * 1024 * 1024)), 413, "file_too_large")
    _error(_put(client, mid, headers, b"\xff\xd8\xff" + b"\x00" * (21 * 1024 * 1024)), 413, "too_large")
    _error(client.put(f"/api/v1/mediators/{mid}/photo", headers=headers, json={"file": "x"}), 400, "file_missing")
    _error(client.put(f"/api/v1/mediators/{mid}/photo", headers=headers, content_type="multipart/form-data",
                      data={"other": (io.BytesIO(plain("PNG")), "x.png")}), 400, "file_missing")
    _error(client.put(f"/api/v1/mediators/{mid}/photo", headers={**headers, "Content-Type":
                      "multipart/form-data; boundary=zz"}, data=b"--zz\r\nbroken"), 400, "file_missing")
    assert profile(mid).photo_key is None and get_storage().leftovers() == []


def test_only_the_mediators_organization_may_change_it(client: Any, world: World) -> None:
    mid = world.mediators[0].id
    for username in ("townadmin", "applicant", "townmediator", "judge"):
        headers = api_token(client, username)
        assert _put(client, mid, headers, plain("PNG")).status_code == 403, username
        assert client.delete(f"/api/v1/mediators/{mid}/photo", headers=headers).status_code == 403, username
    assert _put(client, mid, {}, plain("PNG")).status_code == 401
    assert _put(client, 999999, api_token(client, "orgadmin"), plain("PNG")).status_code == 404
    assert profile(mid).photo_key is None and get_storage().leftovers() == []


def test_openapi_describes_both_operations(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    item = paths["/api/v1/mediators/{mediator_id}/photo"]
    assert "multipart/form-data" in item["put"]["requestBody"]["content"]
    assert {"403", "413", "415"} <= set(item["put"]["responses"]) and "delete" in item
    one = paths["/api/v1/mediators/{mediator_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "photo_url" in one["schema"]["properties"]
