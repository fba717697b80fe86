"""The renderer's speed-ups: prebuilt WeasyPrint C bindings (weasyffi.py), the template
bytecode cache (caches.py), font streams deflated once (fontstreams.py). Each must be in
use here and change nothing in the output."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from odr.documents import weasyffi
from odr.documents.fontstreams import FONT_ZLIB_LEVEL, compress_font_files
from tests.documents.conftest import needs_poppler, pdf_fonts, pdf_text
from tests.documents.documents_samples import SIGNED, TITLES, sample_context

ROOT = Path(__file__).resolve().parents[2]
KIND = "settlement_agreement"

# A fresh interpreter: imports the documents room first (as the app does), renders the
# settlement agreement, reports how WeasyPrint's ffi was imported.
CHILD = """
import json, sys, logging
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
sys.path.insert(0, {root!r})
import odr.documents
from odr.documents import weasyffi
from odr.documents.render import render_pdf
from tests.documents.documents_samples import SIGNED, TITLES, sample_context
import weasyprint.text.ffi as wffi
title, author = TITLES[{kind!r}]
pdf = render_pdf({kind!r}, sample_context({kind!r}), title=title, author=author, created=SIGNED)
open({out!r}, "wb").write(pdf)
print(json.dumps({{"state": weasyffi.state(), "ffi": type(wffi.ffi).__module__ + "." + type(wffi.ffi).__name__,
                  "harfbuzz_subset": wffi.harfbuzz_subset is not None}}))
"""


def _child(tmp_path: Path, name: str, cache: Path | str, **env: str) -> tuple[dict, str, bytes]:
    """Render in a new process; return (report, stderr, pdf bytes)."""
    out = tmp_path / f"{name}.pdf"
    environ = {key: value for key, value in os.environ.items() if key != "ODR_WEASYPRINT_FAST_FFI"}
    environ.update(ODR_CACHE_DIR=str(cache), **env)
    done = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), kind=KIND, out=str(out))],
                          capture_output=True, text=True, env=environ, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr, out.read_bytes()


def _ffi_source() -> bytes:
    import importlib.util

    spec = importlib.util.find_spec(weasyffi.FFI_MODULE)
    assert spec is not None and spec.origin
    return Path(spec.origin).read_bytes()


def test_caches_are_built_once_and_used_by_new_processes(tmp_path: Path) -> None:
    """Fails loudly if WeasyPrint's ffi.py changed so that the fast path is no longer taken."""
    cache = tmp_path / "cache"
    first, log, first_pdf = _child(tmp_path, "first", cache)
    assert first["state"] == "fast", log
    assert first["ffi"] == "_cffi_backend.FFI"  # the out-of-line FFI, not cffi.api.FFI
    assert first["harfbuzz_subset"]
    built = sorted(cache.glob("_odr_weasyffi_*.py"))
    assert len(built) == 1 and "# odr-weasyffi sha256=" in built[0].read_text()
    templates = sorted((cache / "jinja").glob("odr-*.cache"))
    assert len(templates) >= 3  # the agreement, _base.html, _macros.html, the stylesheet
    stamps = [path.stat().st_mtime_ns for path in [*built, *templates]]

    second, log, second_pdf = _child(tmp_path, "second", cache)
    assert second["state"] == "fast" and "slow way" not in log and "rebuilding" not in log
    assert second_pdf == first_pdf
    assert sorted(cache.glob("_odr_weasyffi_*.py")) == built
    assert sorted((cache / "jinja").glob("odr-*.cache")) == templates
    assert [path.stat().st_mtime_ns for path in [*built, *templates]] == stamps  # read, not rewritten


def test_fast_and_normal_ffi_render_the_same_pdf(tmp_path: Path) -> None:
    fast, _, fast_pdf = _child(tmp_path, "fast", tmp_path / "cache")
    normal, _, normal_pdf = _child(tmp_path, "normal", tmp_path / "cache", ODR_WEASYPRINT_FAST_FFI="0")
    assert (fast["state"], normal["state"]) == ("fast", "disabled")
    assert normal["ffi"] == "cffi.api.FFI"
    assert fast_pdf == normal_pdf  # same text, fonts, glyphs, positions: byte for byte


def test_damaged_cache_file_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _child(tmp_path, "build", cache)
    [built] = cache.glob("_odr_weasyffi_*.py")
    good = built.read_text()
    built.write_text(good.replace("_types = b'", "_types = b'\\x00", 1))  # checksum no longer matches
    report, log, _ = _child(tmp_path, "rebuilt", cache)
    assert report["state"] == "fast"
    assert "unusable" in log and "checksum mismatch" in log
    assert built.read_text() == good


def test_unwritable_cache_builds_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    report, log, pdf = _child(tmp_path, "memory", blocker / "cache")
    assert report["state"] == "fast"
    assert "built for this process only" in log
    assert pdf.startswith(b"%PDF-")


def test_split_cdef_on_installed_weasyprint() -> None:
    cdef, rest = weasyffi.split_cdef(_ffi_source())
    assert "PangoLayout * pango_layout_new" in cdef and "hb_subset_or_fail" in cdef
    code = compile(rest, "ffi.py", "exec")
    assert "cdef" not in code.co_names  # the FFI-building statements are gone
    assert {"_dlopen", "unicode_to_char_p"} <= set(code.co_names)


@pytest.mark.parametrize("change", [
    ("ffi = cffi.FFI()", "ffi = cffi.FFI(backend=None)"),        # constructor with options
    ("ffi.cdef('''", "ffi.cdef(DECLARATIONS + '''"),              # not a literal any more
    ("gobject.g_type_init()", "ffi = cffi.FFI()\ngobject.g_type_init()"),  # rebuilt later
    ("ffi = cffi.FFI()\n", "ffi = cffi.FFI()\nffi.set_unicode(True)\n"),  # something in between
    ("gobject.g_type_init()", "ffi.cdef('int extra(void);')\ngobject.g_type_init()"),  # more later
])
def test_split_cdef_refuses_other_shapes(change: tuple[str, str]) -> None:
    source = _ffi_source().decode()
    assert change[0] in source
    with pytest.raises(weasyffi.ShapeError):
        weasyffi.split_cdef(source.replace(change[0], change[1], 1))


def _pdf_without_finisher_and_with() -> tuple[bytes, bytes, int]:
    from odr.documents import render as render_module

    weasyprint, font_config = render_module._load_weasyprint()
    html = render_module.render_html(KIND, sample_context(KIND), inline_style=False)

    def document():
        return weasyprint.HTML(string=html, url_fetcher=render_module._fetcher_class()()).render(
            font_config=font_config, stylesheets=[render_module._stylesheet()])

    counted: list[int] = []
    plain = document().write_pdf(pdf_identifier=b"0" * 32)
    finished = document().write_pdf(pdf_identifier=b"0" * 32,
                                    finisher=lambda doc, pdf: counted.append(compress_font_files(doc, pdf)))
    return plain, finished, counted[0]


def _font_files(pdf: bytes) -> list[tuple[bytes, int]]:
    """(decoded font program, /Length1) of every font descriptor's FontFile2 in the PDF."""
    reader = PdfReader(io.BytesIO(pdf))
    found = []
    for number in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(number)
        if isinstance(obj, dict) and obj.get("/Type") == "/FontDescriptor":
            stream = obj["/FontFile2"].get_object()
            assert stream["/Filter"] == "/FlateDecode"
            found.append((stream.get_data(), int(stream["/Length1"])))
    return found


@needs_poppler
def test_font_streams_deflated_once_same_document(tmp_path: Path) -> None:
    plain, finished, count = _pdf_without_finisher_and_with()
    assert count == 2  # the regular and the bold face
    assert pdf_text(finished, tmp_path) == pdf_text(plain, tmp_path)
    assert pdf_fonts(finished, tmp_path) == pdf_fonts(plain, tmp_path)
    fonts = _font_files(finished)
    assert {program for program, _ in fonts} == {program for program, _ in _font_files(plain)}
    for program, length1 in fonts:
        assert len(program) == length1
        assert TTFont(io.BytesIO(program))["maxp"].numGlyphs > 1000
    # level 6 instead of pydyf's 9: a little larger, never much
    assert len(plain) <= len(finished) < len(plain) * 1.03
    images = []
    for name, pdf in (("plain", plain), ("finished", finished)):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "50", "-gray", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)],
                       check=True)
        images.append([p.read_bytes() for p in sorted(tmp_path.glob(f"{name}-*.pgm"))])
    assert images[0] == images[1] and len(images[0]) == 3


def test_render_pdf_uses_the_finisher_and_keeps_the_identifier() -> None:
    from odr.documents.render import render_pdf

    title, author = TITLES[KIND]
    pdf = render_pdf(KIND, sample_context(KIND), title=title, author=author, created=SIGNED)
    identifier = PdfReader(io.BytesIO(pdf)).trailer["/ID"]
    assert len(identifier) == 2 and len(identifier[0]) == 32
    fonts = _font_files(pdf)
    assert len(fonts) == 2
    for program, _ in fonts:  # stored as this module deflates them, not as pydyf would
        assert zlib.compress(program, FONT_ZLIB_LEVEL) in pdf
        assert zlib.compress(program, 9) not in pdf
