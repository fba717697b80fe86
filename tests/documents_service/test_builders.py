"""Every document kind renders with its data (pdftotext), from the models other rooms fill."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from odr.agreements.models import Agreement
from odr.confirmation.models import ConfirmationApplication
from odr.core.errors import BadInput
from odr.core.time import now
from odr.documents import builders
from odr.documents.services import read_bytes
from odr.extensions import db
from odr.scheduling.models import Minutes
from tests.agreements.helpers import effective_agreement, mediation_case


def flat_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "d.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return "".join(out.split())


def test_mediation_application_and_minutes(client, world, tmp_path):
    case = mediation_case(world)
    doc = builders.issue_mediation_application(case)
    db.session.commit()
    text = flat_text(read_bytes(doc), tmp_path)
    for needle in ("人民调解申请书", "张三", "李四", "赔偿损失", "2,000.00", "贰仟元整", case.number,
                   world.county.name):
        assert needle in text, needle

    minutes = Minutes(case_id=case.id, body="调解员：请双方陈述意见。\n张三：要求清除杂物并赔偿。\n双方同意继续协商。",
                      status="confirmed", author_id=world.mediators[0].id, confirmed_at=now())
    db.session.add(minutes)
    db.session.flush()
    doc = builders.issue_minutes(minutes)
    db.session.commit()
    text = flat_text(read_bytes(doc), tmp_path)
    for needle in ("调解笔录", "陈调解员", "要求清除杂物并赔偿", "双方同意继续协商", "张三与李四邻里纠纷"):
        assert needle in text, needle
    assert doc.minutes_id == minutes.id and doc.kind == "minutes"


def _application(world, case, agreement_id: int, **fields) -> ConfirmationApplication:
    app_row = ConfirmationApplication(case_id=case.id, agreement_id=agreement_id, court_id=world.court.id,
                                      status="submitted", submitted_at=now() - timedelta(days=2), **fields)
    db.session.add(app_row)
    db.session.flush()
    return app_row


def test_confirmation_application_and_both_rulings(client, world, tmp_path):
    case = mediation_case(world)
    agreement = effective_agreement(client, world, case)
    application = _application(world, case, agreement["id"])
    consents = {p.id: now() for p in case.parties}
    doc = builders.issue_confirmation_application(application, consents=consents)
    db.session.commit()
    text = flat_text(read_bytes(doc), tmp_path)
    for needle in ("司法确认申请书", "诸暨市人民法院", agreement["number"], "张三", "李四", "此致"):
        assert needle in text, needle

    application.decision, application.judge_id, application.clerk_id = "confirm", world.judge.id, world.clerk.id
    application.ruling_number, application.decided_at = "(2026)浙0681民特1号", now()
    doc = builders.issue_ruling(application)
    db.session.commit()
    text = flat_text(read_bytes(doc), tmp_path)
    for needle in ("民事裁定书", "(2026)浙0681民特1号", "王法官", "李书记员", "12,000.00", "有效", "申请强制执行"):
        assert needle in text, needle

    second = _application(world, case, agreement["id"], decision="reject", judge_id=world.judge.id,
                          grounds=["unclear"], reason="协议第二项履行期限不明确。",
                          ruling_number="(2026)浙0681民特2号", decided_at=now())
    doc = builders.issue_ruling(second)
    db.session.commit()
    text = flat_text(read_bytes(doc), tmp_path)
    for needle in ("驳回申请人", "内容不明确", "第三百五十八条第（五）项", "履行期限不明确"):
        assert needle in text, needle


def test_ruling_without_number_or_judge_is_refused(client, world):
    case = mediation_case(world)
    agreement = effective_agreement(client, world, case)
    application = _application(world, case, agreement["id"], decision="confirm")
    from flask_babel import force_locale

    with force_locale("en"), pytest.raises(BadInput) as info:
        builders.issue_ruling(application)
    assert info.value.code == "missing_document_data"
    with force_locale("en"):
        message = str(info.value.message)
    assert "ruling number" in message and "judge" in message


def test_confirmation_needs_an_effective_agreement(client, world):
    case = mediation_case(world)
    from tests.agreements.helpers import draft

    body = draft(client, world, case)
    application = _application(world, case, body["id"])
    with pytest.raises(BadInput):
        builders.issue_confirmation_application(application)
    assert db.session.get(Agreement, body["id"]).status == "draft"
