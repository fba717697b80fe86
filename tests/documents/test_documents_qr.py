"""QR codes and verification URLs."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from odr.documents.qr import qr_data_uri, qr_png, qr_svg, verification_url


def test_verification_url() -> None:
    assert verification_url("https://odr.example.cn/", "AGR-5T7N-8C3V") == (
        "https://odr.example.cn/verify/AGR-5T7N-8C3V")
    assert verification_url("https://gov.example.cn/odr", "ABCD1234") == (
        "https://gov.example.cn/odr/verify/ABCD1234")


@pytest.mark.parametrize(("base", "code"), [
    ("file:///etc", "ABCD1234"),
    ("odr.example.cn", "ABCD1234"),
    ("https://odr.example.cn", "../../admin"),
    ("https://odr.example.cn", "AB"),
    ("https://odr.example.cn", "ABCD 1234"),
])
def test_verification_url_rejects(base: str, code: str) -> None:
    with pytest.raises(ValueError):
        verification_url(base, code)


def test_qr_png_is_small_deterministic_and_square() -> None:
    url = "https://odr.example.cn/verify/AGR-5T7N-8C3V"
    png = qr_png(url)
    assert png == qr_png(url)
    assert len(png) < 1500
    image = Image.open(io.BytesIO(png))
    assert image.size[0] == image.size[1] >= 25
    uri = qr_data_uri(url)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == png


def test_qr_svg() -> None:
    svg = qr_svg("https://odr.example.cn/verify/ABCD1234")
    assert svg.startswith("<svg") and svg.count("<path") == 1
