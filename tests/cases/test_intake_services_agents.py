"""Saving the parties step again keeps an agent's account link and power of attorney."""

from __future__ import annotations

from odr.cases.services import update_draft
from odr.evidence.models import Evidence
from odr.extensions import db
from tests.case_factories import file_case


def test_resaving_parties_keeps_the_agents_power_of_attorney(app, world):
    case = file_case(world)
    respondents = [{"kind": "person", "name": "李四", "phone": "13900000002",
                    "agent": {"name": "钱律师", "phone": "13900000077"}}]
    update_draft(case, world.applicant, {"respondents": respondents})
    agent = case.agents[0]
    poa = Evidence(case_id=case.id, kind="power_of_attorney", title="授权委托书", filename="poa.pdf", size=1,
                   sha256="0" * 64, media_type="application/pdf", storage_key="ab" * 20,
                   submitted_by_id=world.applicant.id)
    db.session.add(poa)
    db.session.flush()
    agent.power_of_attorney_id = poa.id
    agent.user_id = world.outsider.id
    db.session.commit()
    update_draft(case, world.applicant, {"respondents": respondents})
    db.session.refresh(case)
    assert len(case.agents) == 1
    assert case.agents[0].power_of_attorney_id == poa.id
    assert case.agents[0].user_id == world.outsider.id
