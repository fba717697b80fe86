"""The restricted URL fetcher: nothing but data: and odr-static: is ever fetched."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from odr.documents.fetcher import RefusedURL, RestrictedURLFetcher
from odr.documents.qr import qr_png

PNG_URI = "data:image/png;base64," + base64.b64encode(qr_png("x" * 10)).decode()


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "http://127.0.0.1:9/x.png",
    "https://example.com/x.css",
    "ftp://example.com/x",
    "data:text/html,<script>alert(1)</script>",
    "data:image/png;base64,@@@",
    "odr-static:../../../../etc/passwd",
    "odr-static:/etc/passwd",
    "odr-static:css/missing.css",
    "javascript:alert(1)",
])
def test_fetcher_refuses(url: str) -> None:
    fetcher = RestrictedURLFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused and fetcher.refused[0] == url


def test_fetcher_serves_data_and_static(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(qr_png("logo"))
    (tmp_path / "secret.txt").write_text("secret")
    fetcher = RestrictedURLFetcher(static_root=tmp_path)
    response = fetcher.fetch(PNG_URI)
    assert response.content_type == "image/png"
    assert response.read().startswith(b"\x89PNG")
    assert fetcher.fetch("odr-static:logo.png").read().startswith(b"\x89PNG")
    with pytest.raises(RefusedURL):
        fetcher.fetch("odr-static:secret.txt")
    assert fetcher.fetch("data:text/css,p%7Bcolor:red%7D").read() == b"p{color:red}"


def test_raw_html_fetches_nothing(tmp_path: Path, http_recorder: tuple[str, list[str]]) -> None:
    """Even markup that bypasses autoescaping cannot make WeasyPrint fetch anything."""
    import weasyprint

    base, hits = http_recorder
    secret = tmp_path / "secret.css"
    secret.write_text("body { background: red }")
    html = f"""<html><head>
      <link rel="stylesheet" href="{base}/style.css">
      <link rel="stylesheet" href="file://{secret}">
      <style>@import url("{base}/import.css");
        @font-face {{ font-family: X; src: url("{base}/font.woff2"); }}
        body {{ background: url("file:///etc/passwd"); }}</style>
      </head><body><img src="{base}/img.png"><img src="file:///etc/hostname">
      <svg xmlns="http://www.w3.org/2000/svg"><image href="{base}/svg.png" width="5" height="5"/></svg>
      <img src="{PNG_URI}"></body></html>"""
    fetcher = RestrictedURLFetcher()
    pdf = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert hits == []
    refused = " ".join(fetcher.refused)
    for part in ("/style.css", "secret.css", "/import.css", "/font.woff2", "/etc/passwd", "/img.png",
                 "/etc/hostname", "/svg.png"):
        assert part in refused, part
