"""Render the platform's legal documents (HTML templates → PDF with WeasyPrint).

Why it is built this way:

* WeasyPrint is imported lazily and once: importing it loads Pango, HarfBuzz and
  fontconfig, which processes that never print a document (the scheduler, CLI
  commands) should not pay for. Its C bindings come from a prebuilt cffi module
  (weasyffi.py, ~300 ms less per new process) and the templates' compiled code from
  Jinja's bytecode cache (caches.py).
* One ``FontConfiguration`` per process: building it makes fontconfig scan the
  system fonts; reusing it is most of the difference between a cold and a warm
  render. Pango's font map is not documented as thread-safe, so renders in one
  process are serialized with a lock (rendering is CPU-bound under the GIL anyway).
* Every resource goes through :class:`~odr.documents.fetcher.RestrictedURLFetcher`
  (no ``file://``, no network), and templates autoescape, so party-supplied text
  stays text.
* The embedded font programs are deflated once, at zlib's default level, by a
  WeasyPrint finisher (fontstreams.py): ~15 ms, a sixth of each document's time.
* Output is deterministic: the same template, context and metadata give the same
  bytes (no timestamps but ``created``, a PDF identifier derived from the input),
  so a document's hash can be recorded and checked later.

Context contract, shared by all templates (``templates/documents/<kind>.html``;
each template's header comment lists its own keys):

* ``doc_number`` – the number printed in the corner and footer (agreement number,
  ruling number or case number).
* ``verification`` – ``{"code": str, "url": str}``; build ``url`` with
  :func:`odr.documents.qr.verification_url`. The QR code is generated here.
* ``mask_ids`` – bool, default True: print ID numbers and phones masked.
* party dicts (``applicants``, ``respondents``): ``name``, ``kind`` ("person" or
  "organization"), ``gender``, ``birth_date`` (date), ``ethnicity``, ``id_number``
  (resident ID or unified social credit code), ``phone``, ``address``,
  ``legal_representative``, ``representative_title``, and ``agent``
  (``{"name", "description"}``); only ``name`` is required.
* dates are ``datetime.date``, moments ``datetime.datetime``, money ``Decimal``,
  ``int`` or ``str`` (never float).

The keys ``fmt``, ``qr_image`` and ``seal_layout`` are reserved: they carry the
formatting helpers, the QR data URI and the seal geometry into the template.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, FileSystemLoader

from . import numbers
from .caches import jinja_bytecode_cache
from .fontstreams import compress_font_files
from .qr import qr_data_uri

__all__ = [
    "DOCUMENT_KINDS",
    "REJECTION_GROUNDS",
    "TERMINATION_REASONS",
    "harfbuzz_subset_available",
    "preload",
    "render_html",
    "render_pdf",
    "seal_layout",
    "warn_if_slow_fonts",
]

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

#: Template name → the document's Chinese title (used for PDF metadata by callers).
DOCUMENT_KINDS: dict[str, str] = {
    "mediation_application": "人民调解申请书",
    "minutes": "调解笔录",
    "settlement_agreement": "人民调解协议书",
    "termination_notice": "调解终结书",
    "confirmation_application": "司法确认申请书",
    "ruling": "民事裁定书",
}

#: Lawful grounds for rejecting a confirmation application, 民诉法解释 §358
#: (item number, text). The ruling cites the item numbers of the grounds used.
REJECTION_GROUNDS: dict[str, tuple[str, str]] = {
    "mandatory_law": ("一", "违反法律强制性规定"),
    "harms_interests": ("二", "损害国家利益、社会公共利益、他人合法权益"),
    "public_order": ("三", "违背公序良俗"),
    "not_voluntary": ("四", "违反自愿原则"),
    "unclear": ("五", "内容不明确"),
    "other": ("六", "存在其他不能进行司法确认的情形"),
}

#: Situations that end an online mediation, 在线调解规则 §25 items (二)–(八).
TERMINATION_REASONS: dict[str, str] = {
    "withdrawn": "当事人自行和解，撤回调解申请",
    "unreachable": "在调解期限内无法联系到当事人",
    "party_unwilling": "当事人一方明确表示不愿意继续调解",
    "wide_disagreement": "当事人分歧较大且难以达成调解协议",
    "period_expired": "调解期限届满，未达成调解协议，且各方当事人未达成延长调解期限的合意",
    "refused_to_sign": "当事人一方拒绝在调解协议上签章",
    "other": "其他导致调解无法进行的情形",
}

_RESERVED_KEYS = frozenset({"fmt", "qr_image", "seal_layout", "subset_fonts", "inline_style"})
_TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_render_lock = threading.Lock()
_state_lock = threading.Lock()
_weasyprint: Any = None
_font_config: Any = None
_default_env: Environment | None = None


def _load_weasyprint() -> tuple[Any, Any]:
    """Import WeasyPrint and build the process-wide FontConfiguration, once."""
    global _weasyprint, _font_config
    if _font_config is None:
        with _state_lock:
            if _font_config is None:
                import weasyprint
                from weasyprint.text.fonts import FontConfiguration

                _weasyprint = weasyprint
                _font_config = FontConfiguration()
    return _weasyprint, _font_config


def harfbuzz_subset_available() -> bool:
    """Tell whether WeasyPrint will subset fonts with HarfBuzz (fast) or fontTools.

    WeasyPrint (``pdf/fonts.py``, ``Font.subset``) uses HarfBuzz-Subset when
    ``text.ffi.harfbuzz_subset`` could be dlopen'ed and HarfBuzz is at least 4.1.0;
    otherwise it falls back to fontTools, which takes seconds per document on the
    large CJK fonts. This asks WeasyPrint's own loader, so the answer matches.
    """
    try:
        from weasyprint.text import ffi as weasy_ffi
    except OSError:  # Pango or HarfBuzz themselves are missing
        return False
    if weasy_ffi.harfbuzz_subset is None:
        return False
    return bool(weasy_ffi.harfbuzz.hb_version_atleast(4, 1, 0))


def warn_if_slow_fonts(log: logging.Logger) -> bool:
    """Log a warning at start-up when font subsetting will be slow; return availability.

    The app calls this once so operators learn about the missing Debian package
    ``libharfbuzz-subset0`` before users notice multi-second PDF downloads.
    """
    available = harfbuzz_subset_available()
    if not available:
        log.warning(
            "HarfBuzz-Subset (>= 4.1.0) is not loadable: WeasyPrint will subset the "
            "CJK fonts with fontTools, making each PDF take seconds; install "
            "libharfbuzz-subset0 (Debian/Ubuntu) or harfbuzz (others)."
        )
    return available


def preload() -> None:
    """Pay the cold-start cost now: import WeasyPrint, build the font configuration
    and lay out a line in the regular and bold faces (Pango loads each face on first
    use). The app may call this at start, in a background thread, so that the
    first party to download a document does not wait for it.
    """
    weasyprint, font_config = _load_weasyprint()
    stylesheet = _stylesheet()  # parsing it loads the subset faces into the FontConfiguration
    html = '<html lang="zh-CN"><body><p>调解协议书 2026</p><p><b>民事裁定书</b></p></body></html>'
    with _render_lock:
        document = weasyprint.HTML(string=html, url_fetcher=_fetcher_class()()).render(
            font_config=font_config, stylesheets=[stylesheet])
        document.write_pdf(finisher=compress_font_files)  # the PDF side too: HarfBuzz subsetting, pydyf
    env = _get_default_env()
    for name in DOCUMENT_KINDS:
        env.get_template(f"documents/{name}.html")


_stylesheets: dict[int, Any] = {}


def _stylesheet(jinja_env: Environment | None = None) -> Any:
    """The documents' stylesheet, parsed once per process (and Jinja environment) with the
    process's FontConfiguration, which also loads the @font-face fonts once."""
    env = jinja_env or _get_default_env()
    css = _stylesheets.get(id(env))
    if css is None:
        weasyprint, font_config = _load_weasyprint()
        text = env.get_template("documents/_style.css").render(subset_fonts=_subset_fonts_available())
        with _state_lock:
            css = _stylesheets.get(id(env))
            if css is None:
                css = weasyprint.CSS(string=text, font_config=font_config, url_fetcher=_fetcher_class()())
                _stylesheets[id(env)] = css
    return css


def _fetcher_class() -> Any:
    """The restricted fetcher class, imported late because it imports WeasyPrint."""
    from .fetcher import RestrictedURLFetcher

    return RestrictedURLFetcher


def _paragraphs(text: str | None) -> list[str]:
    """Split free text into paragraphs on line breaks, dropping blank lines."""
    if not text:
        return []
    return [line.strip() for line in str(text).splitlines() if line.strip()]


def seal_layout(name: str, subtitle: str = "") -> dict[str, Any]:
    """Compute the geometry of a round e-seal: the name along the upper arc.

    Returns a dict for the ``seal`` macro: ``glyphs`` (char, x, y, rotation) on a
    200×200 viewBox, ``font_size``, the five-pointed star ``star`` (points string)
    and ``subtitle``. WeasyPrint's SVG does not lay text along a ``textPath``, so
    each character is placed and rotated individually.
    """
    chars = [c for c in name if not c.isspace()][:40]
    count = len(chars)
    span = min(250.0, max(100.0, count * 21.0))
    radius = 70.0
    step = span / (count - 1) if count > 1 else 0.0
    arc_per_char = radius * math.radians(step) if count > 1 else 40.0
    font_size = round(min(30.0, max(10.0, arc_per_char * 0.92)), 2)
    glyphs = []
    for index, char in enumerate(chars):
        angle = -span / 2 + index * step if count > 1 else 0.0
        rad = math.radians(angle)
        glyphs.append({
            "char": char,
            "x": round(100 + radius * math.sin(rad), 2),
            "y": round(100 - radius * math.cos(rad), 2),
            "rotate": round(angle, 2),
        })
    star = []
    for point in range(10):
        r = 26.0 if point % 2 == 0 else 10.5
        rad = math.radians(point * 36)
        star.append(f"{100 + r * math.sin(rad):.2f},{100 - r * math.cos(rad):.2f}")
    return {
        "glyphs": glyphs,
        "font_size": font_size,
        "baseline": round(font_size * 0.36, 2),
        "star": " ".join(star),
        "subtitle": subtitle,
    }


_FMT = SimpleNamespace(
    cn_date=numbers.cn_date,
    cn_datetime=numbers.cn_datetime,
    cn_integer=numbers.cn_integer,
    money_upper=numbers.money_upper,
    money_figures=numbers.money_figures,
    mask_id=numbers.mask_id_number,
    mask_phone=numbers.mask_phone,
    paragraphs=_paragraphs,
    rejection_grounds=REJECTION_GROUNDS,
    termination_reasons=TERMINATION_REASONS,
    kinds=DOCUMENT_KINDS,
)


def _subset_fonts_available() -> bool:
    """Whether scripts/build_fonts.py has built the single-face document fonts."""
    fonts = Path(__file__).resolve().parent.parent / "static" / "fonts"
    return (fonts / "OdrSerifSC-Regular.ttf").exists() and (fonts / "OdrSerifSC-Bold.ttf").exists()


def _get_default_env() -> Environment:
    """Standalone Jinja environment over the top-level ``templates/`` folder."""
    global _default_env
    if _default_env is None:
        _default_env = Environment(
            loader=FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            bytecode_cache=jinja_bytecode_cache(),
        )
    return _default_env


def render_html(
    template_name: str,
    context: Mapping[str, Any],
    *,
    jinja_env: Environment | None = None,
    inline_style: bool = True,
) -> str:
    """Fill ``templates/documents/<template_name>.html`` and return the HTML.

    Separate from :func:`render_pdf` so that previews and the LibreOffice
    comparison benchmark use exactly the same markup. ``inline_style=False`` leaves
    the stylesheet out: :func:`render_pdf` passes its parsed copy instead.
    """
    name = template_name.removesuffix(".html")
    if not _TEMPLATE_NAME.match(name):
        raise ValueError(f"invalid document template name: {template_name!r}")
    clash = _RESERVED_KEYS.intersection(context)
    if clash:
        raise ValueError(f"reserved context keys: {sorted(clash)}")
    verification = context.get("verification") or {}
    if not verification.get("code") or not verification.get("url"):
        raise ValueError("context['verification'] needs 'code' and 'url'")
    env = jinja_env or _get_default_env()
    template = env.get_template(f"documents/{name}.html")
    return template.render(
        **context,
        fmt=_FMT,
        subset_fonts=_subset_fonts_available(),
        inline_style=inline_style,
        qr_image=qr_data_uri(verification["url"]),
        seal_layout=seal_layout,
    )


def _pdf_date(moment: datetime | date) -> str:
    """W3C date-time string for WeasyPrint's metadata (second precision)."""
    if isinstance(moment, datetime):
        return moment.replace(microsecond=0).isoformat()
    return moment.isoformat()


def render_pdf(
    template_name: str,
    context: Mapping[str, Any],
    *,
    title: str,
    author: str,
    created: datetime,
    jinja_env: Environment | None = None,
) -> bytes:
    """Render a document kind to PDF bytes (A4, Noto Serif CJK SC, fonts subset).

    ``title`` and ``author`` (the issuing organization or court) and ``created``
    go into the PDF metadata; pass an aware datetime to record the time zone.
    Templates are those listed in :data:`DOCUMENT_KINDS`; see the module docstring
    and each template's header for the context keys.
    """
    html_text = render_html(template_name, context, jinja_env=jinja_env, inline_style=False)
    weasyprint, font_config = _load_weasyprint()
    stylesheet = _stylesheet(jinja_env)
    stamp = _pdf_date(created)
    identifier = hashlib.sha256(
        "\x00".join((html_text, title, author, stamp)).encode("utf-8")
    ).hexdigest()[:32]
    fetcher = _fetcher_class()()
    with _render_lock:
        document = weasyprint.HTML(string=html_text, url_fetcher=fetcher).render(
            font_config=font_config, stylesheets=[stylesheet]
        )
        document.metadata.title = title
        document.metadata.authors = [author]
        document.metadata.created = stamp
        document.metadata.modified = stamp
        document.metadata.generator = "ODR documents"
        pdf = document.write_pdf(pdf_identifier=identifier.encode("ascii"), finisher=compress_font_files)
    if fetcher.refused:
        logger.warning("%s: refused %d resource(s)", template_name, len(fetcher.refused))
    return pdf
