"""Tell the people on a case about every status change, with next steps where it ended.

Connected to ``case_status_changed`` in init_app; runs inside the transition's
transaction (no commit). A stored message is read later, by e-mail or SMS, outside any
request, so its text is rendered once in the site's default language (``force_locale``)
rather than the actor's.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from odr.cases import lifecycle as lc
from odr.notifications.services import notify_case_parties
from odr.notifications.templating import render_notice

#: statuses whose change is a legal step (送达 records)
LEGAL_STATUSES = {lc.ACCEPTED, lc.REJECTED, lc.DECLINED, lc.IN_MEDIATION, lc.FAILED,
                  lc.AGREEMENT_EFFECTIVE, lc.CLOSED}


def _texts(case: Any, after: str, reason: str | None) -> tuple[str, str]:
    label = str(lc.STATUS_LABELS.get(after, after))
    number = case.number or f"#{case.id}"
    title = _("Case %(number)s: %(status)s", number=number, status=label)
    next_steps = {
        lc.REJECTED: _("Next steps: you may apply to another mediation organization, or file a "
                       "lawsuit with the people's court."),
        lc.DECLINED: _("Next steps: mediation is voluntary and the other side declined. You may seek "
                       "mediation elsewhere or file a lawsuit with the people's court."),
        lc.FAILED: _("Next steps: you may apply for mediation again at another organization, or file "
                     "a lawsuit with the people's court."),
        lc.ACCEPTED: _("The respondent is invited to agree to mediation."),
        lc.IN_MEDIATION: _("Mediation has begun. The mediator will propose session times."),
        lc.SETTLED: _("A settlement agreement has been drafted; please review and sign it."),
        lc.AGREEMENT_EFFECTIVE: _("The agreement is in effect. The parties may jointly apply for "
                                  "judicial confirmation within 30 days."),
    }
    body = render_notice("case_status", number=number, status=label, reason=reason,
                         next_step=next_steps.get(after))
    return title, body


def on_case_status_changed(case: Any, *, before: str, after: str, actor: Any = None,
                           reason: str | None = None, event: str | None = None, **_kw: Any) -> None:
    """Store one notice per person (keyed by case, event and new status, so a repeated
    signal inside a retried job stores nothing new)."""
    if after == lc.DRAFT:
        return
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans_CN")):
        title, body = _texts(case, after, reason)
    stamp = (case.updated_at.isoformat() if case.updated_at else "")
    notify_case_parties(case, f"case_{after}", title, body, f"/cases/{case.id}",
                        key=f"status:{case.id}:{event or after}:{after}:{stamp}",
                        legal=after in LEGAL_STATUSES, exclude=actor)
