"""Rendering the six document kinds to PDF: text, fonts, pages, metadata, safety."""

from __future__ import annotations

import io
import logging
import re
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader
from pypdf import PdfReader

from odr.documents import render as render_module
from odr.documents.render import DOCUMENT_KINDS, TEMPLATES_DIR, render_pdf
from tests.documents.conftest import needs_poppler, pdf_fonts, pdf_text
from tests.documents.documents_samples import AGREEMENT_NO, RESPONDENT, RULING_NO, SIGNED, TITLES

Render = Callable[..., bytes]
Sample = Callable[..., dict[str, Any]]
KINDS = sorted(DOCUMENT_KINDS)
NUMBERS = {"settlement_agreement": AGREEMENT_NO, "ruling": RULING_NO, "confirmation_application": AGREEMENT_NO}


@needs_poppler
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_renders_names_number_fonts_pages(kind: str, render: Render, sample: Sample,
                                                    tmp_path: Path) -> None:
    context = sample(kind)
    pdf = render(kind, context)
    text = pdf_text(pdf, tmp_path)
    assert DOCUMENT_KINDS[kind] in text
    assert context["doc_number"] in text
    assert NUMBERS.get(kind, context["doc_number"]) in text
    assert context["verification"]["code"] in text and context["verification"]["url"] in text
    for name in ("张三丰", "诸暨市恒达建材有限公司"):
        assert name in text
    assert re.search(r"第\s*1\s*页\s*共\s*\d+\s*页", pdf_text(pdf, tmp_path, compact=False))
    fonts = [" ".join(row) for row in pdf_fonts(pdf, tmp_path)]
    assert fonts and all(re.search(r"\byes yes yes\b", row) for row in fonts), fonts
    # Noto Serif CJK SC: the single-face subset built by scripts/build_fonts.py, or the system face
    assert any(re.match(r"[A-Z]{6}\+(OdrSerifSC|Noto-Serif-CJK-SC) ", row) for row in fonts), fonts
    assert any(re.search(r"(OdrSerifSC|Noto-Serif-CJK-SC)-Bold", row) for row in fonts), fonts
    assert len(pdf) < 500_000


def test_metadata_and_determinism(render: Render) -> None:
    pdf = render("settlement_agreement")
    assert pdf == render("settlement_agreement")
    info = PdfReader(io.BytesIO(pdf)).metadata
    assert info.title == "人民调解协议书"
    assert info.author == "诸暨市暨阳街道人民调解委员会"
    assert info.creation_date is not None and info.creation_date.isoformat().startswith("2026-11-23T14:05")
    assert PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4


@needs_poppler
def test_settlement_agreement_terms(render: Render, sample: Sample, tmp_path: Path) -> None:
    text = pdf_text(render("settlement_agreement"), tmp_path)
    for expected in ("12,000.00元（人民币壹万贰仟元整）", "800.50元（人民币捌佰元伍角整）",
                     "二〇二六年十二月三十一日前通过银行转账向张三丰支付借款本金", "本协议一式三份",
                     "《中华人民共和国人民调解法》第三十一条", "具有法律约束力", "已电子签名",
                     "人民调解员（签名）", "人民调解专用章", "争议事项", "各方当事人的责任"):
        assert expected in text, expected
    second = dict(RESPONDENT, name="诸暨市第二建材有限公司")
    context = sample("settlement_agreement", respondents=[RESPONDENT, second])
    assert "本协议一式四份" in pdf_text(render("settlement_agreement", context), tmp_path)


@needs_poppler
def test_ruling_confirmed_and_rejected(render: Render, sample: Sample, tmp_path: Path) -> None:
    text = pdf_text(render("ruling"), tmp_path)
    for expected in ("本院受理后依法进行了审查", "《中华人民共和国民事诉讼法》第二百零五条、第二百零六条",
                     "达成的调解协议有效", "当事人应当按照调解协议的约定自觉履行义务。一方当事人拒绝履行或者未全部履行的，"
                     "对方当事人可以向人民法院申请强制执行。", "审判员孙审判", "书记员周书记", "二〇二六年十一月二十六日"):
        assert expected in text, expected
    rejected = sample("ruling", outcome="rejected", rejection_grounds=["not_voluntary", "unclear"],
                      rejection_detail="被申请人在询问中表示系受胁迫签署。")
    text = pdf_text(render("ruling", rejected), tmp_path)
    for expected in ("违反自愿原则，内容不明确", "第三百五十八条第（四）项、第（五）项", "驳回申请人",
                     "当事人可以通过调解方式变更原调解协议或者达成新的调解协议，也可以向人民法院提起诉讼。",
                     "被申请人在询问中表示系受胁迫签署。", "第二百零六条"):
        assert expected in text, expected
    assert "调解协议有效" not in text


@needs_poppler
def test_termination_and_application_contents(render: Render, tmp_path: Path) -> None:
    text = pdf_text(render("termination_notice"), tmp_path)
    assert "当事人一方明确表示不愿意继续调解" in text and "提起诉讼" in text and "另行向其他调解组织申请调解" in text
    text = pdf_text(render("mediation_application"), tmp_path)
    assert "1,500.50元（人民币壹仟伍佰元伍角整）" in text and "此致" in text
    text = pdf_text(render("confirmation_application"), tmp_path)
    assert "浙江省诸暨市人民法院" in text and "第二百零五条" in text and "人民调解协议书一份" in text
    text = pdf_text(render("minutes"), tmp_path)
    assert "线上视频调解" in text and "以上笔录经在线核对" in text


@needs_poppler
def test_long_facts_flow_across_pages(render: Render, sample: Sample, tmp_path: Path) -> None:
    sentences = [f"第{i:04d}段事实：申请人于当日向被申请人交付货物并催告付款，被申请人未予回应。" for i in range(1, 141)]
    facts = "".join(s + ("\n" if i % 10 == 9 else "") for i, s in enumerate(sentences))
    facts += "以上为全部事实陈述终点标记"
    assert len(facts) >= 5000
    long_token = "Z" * 300  # an unbroken Latin run must wrap, not run off the page
    pdf = render("settlement_agreement", sample("settlement_agreement", facts=facts + "\n" + long_token))
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 2
    text = pdf_text(pdf, tmp_path)
    missing = [i for i in range(1, 141) if f"第{i:04d}段事实" not in text]
    assert missing == []
    assert "以上为全部事实陈述终点标记" in text
    assert "人民调解专用章" in text  # the signature block still follows
    assert text.count("Z") == 300  # all of it, though it may straddle a page break
    path = tmp_path / "bbox.pdf"
    path.write_bytes(pdf)
    bbox = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True).stdout
    right_edges = [float(x) for x in re.findall(r'xMax="([0-9.]+)"', bbox)]
    assert right_edges and max(right_edges) < 595.28 - 24 * 72 / 25.4 + 2  # inside the right margin


@needs_poppler
def test_injection_renders_as_text_and_fetches_nothing(render: Render, sample: Sample, tmp_path: Path,
                                                       http_recorder: tuple[str, list[str]]) -> None:
    base, hits = http_recorder
    evil = (f'张三<img src="{base}/evil.png"><link rel="stylesheet" href="file:///etc/passwd">'
            f'<script>alert(1)</script><style>@import "{base}/x.css";</style>')
    applicant = {"name": evil, "kind": "person", "address": f'<iframe src="{base}/frame"></iframe>'}
    for kind in KINDS:
        context = sample(kind)
        if "applicants" in context:
            context["applicants"] = [applicant]
        context["facts"] = evil
        text = pdf_text(render(kind, context), tmp_path)
        if "applicants" in context:
            assert "<script>alert(1)</script>" in text, kind
            assert f'<imgsrc="{base}/evil.png">' in text, kind
            assert '<linkrel="stylesheet"href="file:///etc/passwd">' in text, kind
    assert hits == []


def test_context_contract_errors() -> None:
    with pytest.raises(ValueError, match="verification"):
        render_pdf("ruling", {"doc_number": "x"}, title="t", author="a", created=SIGNED)
    with pytest.raises(ValueError, match="template name"):
        render_pdf("../secrets", {}, title="t", author="a", created=SIGNED)
    with pytest.raises(ValueError, match="reserved"):
        render_pdf("ruling", {"fmt": 1, "verification": {"code": "A", "url": "u"}}, title="t", author="a",
                   created=SIGNED)


def test_accepts_an_external_jinja_env(sample: Sample) -> None:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True)
    title, author = TITLES["termination_notice"]
    pdf = render_pdf("termination_notice.html", sample("termination_notice"), title=title, author=author,
                     created=SIGNED, jinja_env=env)
    assert pdf.startswith(b"%PDF")


def test_harfbuzz_check_and_warning(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.documents")
    assert render_module.harfbuzz_subset_available() is True  # libharfbuzz-subset0 is installed here
    with caplog.at_level(logging.WARNING, logger="test.documents"):
        assert render_module.warn_if_slow_fonts(log) is True
        assert not caplog.records
        monkeypatch.setattr(render_module, "harfbuzz_subset_available", lambda: False)
        assert render_module.warn_if_slow_fonts(log) is False
    assert "libharfbuzz-subset0" in caplog.text


@needs_poppler
@pytest.mark.parametrize("kind", KINDS)
def test_pages_rasterize(kind: str, render: Render, tmp_path: Path) -> None:
    """Every page rasterizes with ink on it (the visual check looks at these PNGs)."""
    from PIL import Image

    path = tmp_path / f"{kind}.pdf"
    path.write_bytes(render(kind))
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / kind)], check=True)
    pages = sorted(tmp_path.glob(f"{kind}-*.png"))
    assert pages
    for page in pages:
        with Image.open(page) as image:
            assert image.convert("L").getextrema()[0] < 100  # some dark pixels


def test_money_in_contexts_accepts_decimal_strings(render: Render, sample: Sample) -> None:
    context = sample("mediation_application", claims=[{"text": "请求支付货款", "amount": "2,000"},
                                                      {"text": "请求赔礼道歉", "amount": None},
                                                      {"text": "请求支付违约金", "amount": Decimal("0.5")}])
    assert render("mediation_application", context).startswith(b"%PDF")


def test_preload_is_idempotent() -> None:
    render_module.preload()
    render_module.preload()
    assert render_module._font_config is not None
