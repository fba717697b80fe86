"""Documents room (see DESIGN.md, Rooms).

``init_app`` connects the receivers that issue documents when upstream rooms say
something happened (an agreement took effect, a mediation failed) and registers the
Jinja globals the case page's documents panel uses.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from odr.documents import weasyffi

log = logging.getLogger(__name__)

# Before anything in this room imports WeasyPrint: its C bindings then load from a
# prebuilt cffi module, ~300 ms sooner in every new process (see weasyffi.py).
weasyffi.install()

#: lifecycle event → 调解终结书 reason code (render.TERMINATION_REASONS)
_FAIL_REASONS = {"fail": "wide_disagreement", "expire": "period_expired"}
_DEFAULT_DETAIL = {"expire": "调解期限届满，未达成调解协议，且各方当事人未同意延长调解期限。"}


def _on_agreement_effective(agreement: Any, case: Any = None, **_kw: Any) -> None:
    """Render the effective agreement (signatures, seal, number) in the signer's transaction."""
    from odr.documents.builders import issue_agreement

    issue_agreement(agreement)


def _on_case_status_changed(case: Any, before: str = "", after: str = "", event: str = "",
                            actor: Any = None, reason: str | None = None, **_kw: Any) -> None:
    """A failed mediation ends with a termination notice telling the parties their next steps.

    Missing data (no organization, no reason) must not stop the case from ending, so
    that is logged and the notice can be issued later from the case page.
    """
    if after != "failed":
        return
    from odr.core.errors import BadInput
    from odr.documents.builders import issue_termination_notice

    try:
        issue_termination_notice(case, reason_code=_FAIL_REASONS.get(event, "other"),
                                 reason_detail=reason or _DEFAULT_DETAIL.get(event) or case.end_reason,
                                 actor=actor)
    except BadInput as exc:
        log.warning("case %s failed without a termination notice: %s", case.id, exc.message)


def init_app(app: Flask) -> None:
    from odr.core.signals import agreement_effective, case_status_changed
    from odr.documents import models  # noqa: F401
    from odr.documents.panels import register_globals

    agreement_effective.connect(_on_agreement_effective, weak=False)
    case_status_changed.connect(_on_case_status_changed, weak=False)
    register_globals(app)
