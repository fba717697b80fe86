"""An agreement in effect, built through the real cases and agreements services."""

from __future__ import annotations

from typing import Any

from odr.agreements import services as agreements
from odr.cases.models import Case
from odr.extensions import db
from tests.case_factories import case_in_mediation
from tests.factories import PASSWORD, World

TERMS = [{"obligor": "李四", "obligee": "张三", "description": "向张三赔偿损失", "amount": "12000.00",
          "due_date": "2026-12-31", "method": "lump_sum"},
         {"obligor": "李四", "description": "于十日内清除通道上的杂物", "method": "act"}]


def effective_case(world: World, terms: list[dict[str, Any]] | None = None, **overrides: Any) -> Case:
    """A case whose agreement every party and the mediator signed (agreement_effective)."""
    case = case_in_mediation(world, **overrides)
    mediator = world.mediators[0]
    agreement = agreements.draft_agreement(case, mediator, {"terms": terms or TERMS,
                                                           "other_terms": "双方就本纠纷再无其他争议。"})
    for user in (world.applicant, world.respondent, mediator):
        agreements.sign(agreement, user, PASSWORD)
    db.session.refresh(case)
    assert case.status == "agreement_effective", case.status
    return case
