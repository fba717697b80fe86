"""Drawn signatures: checked, stored through odr.core.storage, shown on the agreement
page and printed in the effective agreement's PDF (checked with poppler)."""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from odr.agreements.models import Signature
from odr.core.storage import get_storage
from odr.documents.models import Document
from odr.documents.services import read_bytes
from odr.extensions import db
from tests.agreements.helpers import draft, mediation_case
from tests.conftest import api_token, csrf_token, login
from tests.factories import PASSWORD

POPPLER = all(shutil.which(tool) for tool in ("pdfimages", "pdftotext"))
SIZES = {"applicant": (420, 140), "respondent": (480, 160), "mediator": (360, 120)}


def drawing(width: int = 420, height: int = 140, *, ink: bool = True) -> bytes:
    """A transparent PNG with a scribble (or nothing) on it, as a canvas would send."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    if ink:
        pen = ImageDraw.Draw(image)
        pen.line([(20, height - 30), (width // 3, 25), (width // 2, height - 20), (width - 30, 30)],
                 fill=(17, 17, 17, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _stored_files() -> list[Path]:
    return sorted(get_storage().leftovers())  # type: ignore[attr-defined]


def _sign(client: Any, headers: dict[str, str], agreement_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/agreements/{agreement_id}/sign", json={"password": PASSWORD, **body},
                       headers=headers)


def _image_rows(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    """``pdfimages -list`` rows (page num type width height …) after the two header lines."""
    path = tmp_path / "agreement.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


@pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")
def test_drawn_signatures_are_stored_shown_and_printed_in_the_pdf(client, world, tmp_path):
    case = mediation_case(world)
    agreement = draft(client, world, case)
    mediator = world.mediators[0].username
    given = {"applicant": base64.b64encode(drawing(*SIZES["applicant"])).decode(),  # bare base64
             "respondent": data_url(drawing(*SIZES["respondent"])),                 # a canvas data URL
             mediator: data_url(drawing(*SIZES["mediator"]))}
    for username, image in given.items():
        resp = _sign(client, api_token(client, username), agreement["id"], signature_image=image)
        assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "effective"
    assert [s["drawn_image"] for s in body["signatures"] if s["role"] != "seal"] == [True, True, True]

    storage = get_storage()
    keys = db.session.scalars(select(Signature.image_key).where(Signature.role != "seal")).all()
    assert len(set(keys)) == 3 and all(storage.exists(k) for k in keys)
    for key in keys:  # stored re-encoded as a plain PNG, outside the static folder
        with storage.open(key) as fh:
            assert Image.open(fh).format == "PNG"
        assert "static" not in str(storage.path(key))  # type: ignore[attr-defined]

    doc = db.session.scalars(select(Document).where(Document.agreement_id == agreement["id"])).one()
    pdf = read_bytes(doc)
    sizes = {(int(r[3]), int(r[4])) for r in _image_rows(pdf, tmp_path) if r[2] == "image"}
    assert set(SIZES.values()) <= sizes, sizes  # each drawn signature is in the PDF (the QR code too)
    path = tmp_path / "agreement.pdf"
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout.replace(" ", "")
    for party in case.parties:
        assert party.name in text
    assert world.mediators[0].display_name in text and "已电子签名" in text

    login(client, "respondent")
    page = client.get(f"/agreements/{agreement['id']}").get_data(as_text=True)
    assert page.count('class="drawn-signature" src="data:image/png;base64,') == 3
    login(client, "outsider")
    assert client.get(f"/agreements/{agreement['id']}").status_code == 404


@pytest.mark.parametrize("image, status, code", [
    (base64.b64encode(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200).decode(), 415, "unsupported_type"),
    ("data:image/svg+xml;base64," + base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode(),
     415, "unsupported_type"),
    (data_url(b"<html><script>alert(1)</script></html>"), 415, "unsupported_type"),
    ("not base64 at all!", 400, "invalid_signature_image"),
    (data_url(drawing(ink=False)), 400, "invalid_signature_image"),
    (data_url(drawing(8, 8)), 400, "invalid_signature_image"),
])
def test_bad_images_are_refused_and_leave_nothing(client, world, image, status, code):
    case = mediation_case(world)
    agreement = draft(client, world, case)
    before = _stored_files()
    resp = _sign(client, api_token(client, "applicant"), agreement["id"], signature_image=image)
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code and "signature_image" in error["fields"]
    assert db.session.scalar(select(func.count(Signature.id))) == 0
    assert _stored_files() == before


def test_an_oversized_image_is_refused_and_nothing_is_written(client, world):
    case = mediation_case(world)
    agreement = draft(client, world, case)
    noise = Image.frombytes("RGBA", (400, 200), os.urandom(400 * 200 * 4))  # incompressible: ~320 KB
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert len(out.getvalue()) > 200 * 1024
    before = _stored_files()
    headers = api_token(client, "applicant")
    resp = _sign(client, headers, agreement["id"], signature_image=data_url(out.getvalue()))
    assert resp.status_code == 413 and resp.get_json()["error"]["fields"]["signature_image"]
    # a good image with a wrong password: refused before anything is stored
    wrong = client.post(f"/api/v1/agreements/{agreement['id']}/sign", headers=headers,
                        json={"password": "not-my-password", "signature_image": data_url(drawing())})
    assert wrong.status_code == 400 and wrong.get_json()["error"]["code"] == "wrong_password"
    assert db.session.scalar(select(func.count(Signature.id))) == 0
    assert _stored_files() == before


def test_the_sign_page_has_the_pad_and_the_form_sends_the_drawing(client, world):
    case = mediation_case(world)
    agreement = draft(client, world, case)
    login(client, "applicant")
    page = client.get(f"/agreements/{agreement['id']}/sign").get_data(as_text=True)
    assert "<canvas" in page and "data-signature-clear" in page and "js/signature_pad.js" in page
    assert "<script>" not in page and " onclick=" not in page
    token = csrf_token(client, f"/agreements/{agreement['id']}/sign")
    form = {"csrf_token": token, "password": PASSWORD, "content_hash": agreement["content_hash"]}
    refused = client.post(f"/agreements/{agreement['id']}/sign",
                          data={**form, "signature_image": "data:image/gif;base64,R0lGODlhAQABAAAAACw="})
    assert refused.status_code == 415 and 'class="field-error"' in refused.get_data(as_text=True)
    ok = client.post(f"/agreements/{agreement['id']}/sign", data={**form, "signature_image": data_url(drawing())})
    assert ok.status_code == 302
    sig = db.session.scalars(select(Signature)).one()
    assert sig.image_key and get_storage().exists(sig.image_key)
