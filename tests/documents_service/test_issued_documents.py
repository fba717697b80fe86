"""Issued PDFs checked with real tools (pdftotext, pdffonts), verification, bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path

from odr.cases import lifecycle
from odr.cases.models import Case
from odr.extensions import db
from tests.agreements.helpers import draft, effective_agreement, mediation_case, sign
from tests.conftest import api_token


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def pdf_info(data: bytes, tmp_path: Path, tool: str) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(data)
    return subprocess.run([tool, str(path)], check=True, capture_output=True, text=True).stdout


def download(client, case_id: int, username: str, kind: str) -> tuple[dict, bytes]:
    headers = api_token(client, username)
    items = client.get(f"/api/v1/cases/{case_id}/documents", headers=headers).get_json()["items"]
    doc = next(d for d in items if d["kind"] == kind)
    resp = client.get(f"/api/v1/documents/{doc['id']}/pdf", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    return doc, resp.data


def test_agreement_pdf_has_names_amount_number_and_embedded_fonts(client, world, tmp_path):
    case = mediation_case(world)
    agreement = effective_agreement(client, world, case)
    doc, data = download(client, case.id, "applicant", "settlement_agreement")
    import hashlib

    assert hashlib.sha256(data).hexdigest() == doc["sha256"]
    text = pdf_text(data, tmp_path)
    flat = "".join(text.split())
    for needle in ("人民调解协议书", "张三", "李四", "12,000.00", "壹万贰仟元整", agreement["number"],
                   "一式三份", doc["verify_code"], "已电子签名"):
        assert needle in flat, needle
    assert "第1页共" in flat
    fonts = pdf_info(data, tmp_path, "pdffonts")
    assert "OdrSerifSC-Bold" in fonts or "Noto-Serif-CJK-SC-Bold" in fonts  # a real bold face, not synthetic
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(row[-5:-2] == ["yes", "yes", "yes"] for row in rows)  # embedded, subset, unicode
    meta = pdf_info(data, tmp_path, "pdfinfo")
    assert "人民调解协议书" in meta and world.county.name in meta
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(tmp_path / "info.pdf"),
                    str(tmp_path / "page")], check=True)
    assert next(tmp_path.glob("page*.png")).stat().st_size > 5000  # a page with content, not blank


def test_verify_page_json_and_upload(client, world, tmp_path):
    case = mediation_case(world)
    effective_agreement(client, world, case)
    doc, data = download(client, case.id, "respondent", "settlement_agreement")
    code = doc["verify_code"]

    page = client.get(f"/verify/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and doc["number"] in html and doc["sha256"] in html
    assert "张*" in html and "李*" in html and "张三" not in html  # masked names only
    info = client.get(f"/verify/{code}", headers={"Accept": "application/json"}).get_json()
    assert info["kind"] == "settlement_agreement" and info["sha256"] == doc["sha256"]
    assert info["issuer"] == world.county.name and info["number"] == doc["number"] and info["issued_at"]

    ok = client.post(f"/verify/{code}", data={"file": (__import__("io").BytesIO(data), "a.pdf")},
                     headers={"Accept": "application/json"}, content_type="multipart/form-data")
    assert ok.get_json() == {"match": True}
    altered = bytearray(data)
    altered[len(altered) // 2] ^= 0x01
    bad = client.post(f"/verify/{code}", data={"file": (__import__("io").BytesIO(bytes(altered)), "a.pdf")},
                      headers={"Accept": "application/json"}, content_type="multipart/form-data")
    assert bad.get_json() == {"match": False}
    page = client.post(f"/verify/{code}", data={"file": (__import__("io").BytesIO(bytes(altered)), "a.pdf")},
                       content_type="multipart/form-data")
    assert "verify-result bad" in page.get_data(as_text=True)
    assert client.get("/verify/NOSUCHCODE", headers={"Accept": "application/json"}).status_code == 404

    # the PDF itself is policy-checked; only the public facts above are open to anyone
    assert client.get(f"/api/v1/documents/{doc['id']}/pdf",
                      headers=api_token(client, "outsider")).status_code == 404
    assert client.get(f"/api/v1/cases/{case.id}/documents",
                      headers=api_token(client, "outsider")).status_code == 404
    assert client.get(f"/api/v1/documents/{doc['id']}/pdf").status_code == 401


def test_html_name_is_text_and_five_thousand_character_facts_flow_over_pages(client, world, tmp_path):
    evil = '<b>李四</b><img src="http://127.0.0.1:9/x.png">'
    case = mediation_case(world, respondents=[{"kind": "person", "name": evil, "phone": world.respondent.phone,
                                               "email": world.respondent.email}])
    paragraph = "双方因通道堆放杂物发生争执，" * 20  # 280 characters
    facts = "\n".join(f"{i:02d}{paragraph}" for i in range(18))[:5000] + "事实终点"
    agreement = draft(client, world, case, facts=facts)
    for username in ("applicant", "respondent", world.mediators[0].username):
        assert sign(client, username, agreement["id"]).status_code == 200
    _doc, data = download(client, case.id, "applicant", "settlement_agreement")
    flat = "".join(pdf_text(data, tmp_path).split())
    assert "<b>李四</b>" in flat  # printed as text; the <img> fetched nothing
    assert "事实终点" in flat and "17双方因通道" in flat  # nothing clipped
    pages = int(next(line.split()[-1] for line in pdf_info(data, tmp_path, "pdfinfo").splitlines()
                     if line.startswith("Pages:")))
    assert pages >= 3
    page = client.get(f"/agreements/{agreement['id']}", headers=api_token(client, "applicant"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "&lt;b&gt;李四&lt;/b&gt;" in html and "<b>李四</b>" not in html


def test_failed_mediation_issues_a_termination_notice(client, world, tmp_path):
    case = mediation_case(world)
    lifecycle.transition(case, "fail", world.mediators[0], reason="被申请人明确表示不同意赔偿，双方分歧较大。")
    db.session.commit()
    doc, data = download(client, case.id, "applicant", "termination_notice")
    flat = "".join(pdf_text(data, tmp_path).split())
    for needle in ("调解终结书", "被申请人明确表示不同意赔偿", "后续途径", "诸暨市人民法院", "张三", "李四"):
        assert needle in flat, needle
    assert doc["number"] == db.session.get(Case, case.id).number


def test_missing_data_blocks_generation_with_a_clear_message(client, world):
    case = mediation_case(world)
    headers = api_token(client, world.mediators[0].username)
    resp = client.post(f"/api/v1/cases/{case.id}/documents", json={"kind": "termination_notice"}, headers=headers)
    assert resp.status_code == 409
    resp = client.post(f"/api/v1/cases/{case.id}/documents", json={"kind": "settlement_agreement"},
                       headers=headers)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "missing_document_data"
    resp = client.post(f"/api/v1/cases/{case.id}/documents", json={"kind": "mediation_application"},
                       headers=api_token(client, "applicant"))
    assert resp.status_code == 403
    resp = client.post(f"/api/v1/cases/{case.id}/documents", json={"kind": "mediation_application"},
                       headers=headers)
    assert resp.status_code == 201 and resp.get_json()["kind"] == "mediation_application"
