"""Fixtures for the document renderer tests.

These tests import only odr.documents.{render,fetcher,qr,numbers}; they need no
app or database, so they also run with ``--confcutdir=tests/documents``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.documents.documents_samples import SIGNED, TITLES, sample_context

POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdftoppm"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")


@pytest.fixture
def sample() -> Callable[..., dict[str, Any]]:
    return sample_context


@pytest.fixture
def render() -> Callable[..., bytes]:
    """Render a kind with its sample metadata: render(kind, context=None)."""
    from odr.documents.render import render_pdf

    def _render(kind: str, context: dict[str, Any] | None = None) -> bytes:
        title, author = TITLES[kind]
        return render_pdf(kind, context or sample_context(kind), title=title, author=author, created=SIGNED)

    return _render


def pdf_text(pdf: bytes, tmp_path: Path, *, compact: bool = True) -> str:
    """Text of a PDF via pdftotext in content-stream order (-raw: the seal overlapping
    the signature lines cannot reorder them); compact removes all whitespace (CJK wraps
    anywhere)."""
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return re.sub(r"\s+", "", text) if compact else text


def pdf_fonts(pdf: bytes, tmp_path: Path) -> list[list[str]]:
    """Rows of pdffonts output after the header, split on whitespace."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


@pytest.fixture
def http_recorder() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request: yields (base URL, hits)."""
    hits: list[str] = []
    handler = type("Recorder", (_Recorder,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
