"""The law of judicial confirmation as data: statuses, lawful grounds, courts, window.

Kept apart from the services so pages, the API and the services read the same lists
(C = 民诉法解释 2022, D = 司法确认规定 2011, B = 民事诉讼法 2023).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from odr.core.time import ensure_aware
from odr.documents.render import REJECTION_GROUNDS
from odr.extensions import db
from odr.organizations.models import Court

PENDING, SUBMITTED, ACCEPTED, NOT_ACCEPTED = "pending_consent", "submitted", "accepted", "not_accepted"
AWAITING, CONFIRMED, REJECTED, WITHDRAWN = "awaiting_materials", "confirmed", "rejected", "withdrawn"
STATUSES = (PENDING, SUBMITTED, ACCEPTED, NOT_ACCEPTED, AWAITING, CONFIRMED, REJECTED, WITHDRAWN)
#: statuses in which the application is still alive (one per case at a time)
ACTIVE = (PENDING, SUBMITTED, ACCEPTED, AWAITING)
#: statuses in which the court is handling it (before a decision)
AT_COURT = (SUBMITTED, ACCEPTED, AWAITING)
FINAL = (NOT_ACCEPTED, CONFIRMED, REJECTED, WITHDRAWN)

#: B §205: the joint application is made within 30 days of the agreement taking effect
WINDOW_DAYS = 30
#: D §4: the court decides within 3 days whether to accept
ACCEPTANCE_DAYS = 3
#: B §187: special-procedure cases conclude within 30 days of filing (acceptance)
CONCLUSION_DAYS = 30
#: B §250: execution is applied for within 2 years of the last performance date
EXECUTION_YEARS = 2

#: deadline kinds (odr.scheduling Deadline.kind)
DL_WINDOW = "confirmation_window"
DL_ACCEPTANCE = "court_acceptance"
DL_TARGET = "conclusion_target"
DL_CONCLUSION = "conclusion_hard"
DL_MATERIALS = "confirmation_materials"
COURT_DEADLINES = (DL_ACCEPTANCE, DL_TARGET, DL_CONCLUSION, DL_MATERIALS)

STATUS_LABELS = {
    PENDING: _l("Waiting for every party's consent"), SUBMITTED: _l("Submitted to the court"),
    ACCEPTED: _l("Accepted by the court (受理)"), NOT_ACCEPTED: _l("Not accepted by the court"),
    AWAITING: _l("Court asked for more materials"), CONFIRMED: _l("Confirmed valid by the court"),
    REJECTED: _l("Application rejected by the court"), WITHDRAWN: _l("Withdrawn"),
}

#: C §358 — the only grounds on which the court rejects (keys shared with the ruling PDF)
GROUND_KEYS = tuple(REJECTION_GROUNDS)
GROUND_LABELS = {
    "mandatory_law": _l("Violates a mandatory provision of law"),
    "harms_interests": _l("Harms the interests of the state, the public or others"),
    "public_order": _l("Offends public order and good morals"),
    "not_voluntary": _l("Not reached voluntarily"),
    "unclear": _l("The content is unclear"),
    "other": _l("Other circumstances that rule out judicial confirmation"),
}

#: C §355 / D §4 — grounds not to accept, checked before the application is sent
WARNING_LABELS = {
    "personal_status": _l("It may concern personal status (marriage, parentage or adoption): "
                          "the court will not accept such matters (C §355(3))."),
    "ownership": _l("It may concern ownership of real rights or intellectual property: "
                    "the court will not accept such matters (C §355(5))."),
    "special_procedure": _l("It may require another special procedure, public summons or "
                            "bankruptcy: the court will not accept such matters (C §355(4))."),
    "no_jurisdiction": _l("The chosen court may not have jurisdiction over this mediation "
                          "(C §355(2))."),
}

_PERSONAL_STATUS = ("婚姻", "离婚", "结婚", "亲子", "父子关系", "母子关系", "父女关系", "母女关系",
                    "亲生", "收养", "marriage", "divorce", "parentage", "paternity", "adoption")
_OWNERSHIP = ("所有权", "确权", "物权", "产权归", "归属", "知识产权", "专利权", "商标权", "著作权",
              "ownership", "title to", "patent", "trademark", "copyright")
_SPECIAL = ("宣告失踪", "宣告死亡", "无民事行为能力", "限制民事行为能力", "财产无主", "担保物权",
            "公示催告", "破产", "declare missing", "declare dead", "bankruptcy", "public summons")


def window_ends(effective_at: datetime | None) -> datetime | None:
    """When the 30-day application window (B §205) closes, or None before the agreement binds."""
    return ensure_aware(effective_at) + timedelta(days=WINDOW_DAYS) if effective_at else None


def _found(text: str, words: tuple[str, ...]) -> list[str]:
    lowered = text.lower()
    return [w for w in words if w.lower() in lowered]


def precheck(case: Any, agreement: Any, court: Court, lawful: list[Court]) -> list[dict[str, Any]]:
    """Grounds the court may not accept on (C §355), found in the case and agreement text.

    Only a warning: the court decides. Personal-status words count in family cases only,
    where a lump of words such as 离婚 in a debt case would be noise.
    """
    parts = [case.facts or "", agreement.facts or "", agreement.other_terms or ""]
    parts += [t.description or "" for t in agreement.terms]
    text = "\n".join(parts)
    warnings: list[dict[str, Any]] = []
    if case.category == "family":
        hits = _found(text, _PERSONAL_STATUS)
        if hits:
            warnings.append({"code": "personal_status", "matched": hits})
    for code, words in (("ownership", _OWNERSHIP), ("special_procedure", _SPECIAL)):
        hits = _found(text, words)
        if hits:
            warnings.append({"code": code, "matched": hits})
    if court.id not in {c.id for c in lawful}:
        warnings.append({"code": "no_jurisdiction", "matched": [court.name]})
    return warnings


def lawful_courts(case: Any) -> list[Court]:
    """The courts the parties may apply to, the default first.

    Court-invited mediation goes to the inviting court only (D §2 para 2). Otherwise the
    basic court where the organization sits (D §2; C §352): the organization's configured
    confirmation court, then the courts it works with, then basic courts of its county.
    """
    if case.court_id is not None:
        court = db.session.get(Court, case.court_id)
        return [court] if court is not None else []
    org = case.organization
    if org is None:
        return []
    found: list[Court] = []
    for court in ([org.confirmation_court] if org.confirmation_court else []) + list(org.courts):
        if court not in found:
            found.append(court)
    county = (org.region_code or "")[:6]
    if county:
        for court in db.session.execute(
                select(Court).where(Court.region_code == county, Court.level == "basic")
                .order_by(Court.id)).scalars():
            if court not in found:
                found.append(court)
    return found


def warning_texts(warnings: list[dict[str, Any]]) -> list[str]:
    """Warnings as sentences in the reader's language (stored as codes)."""
    out = []
    for w in warnings or []:
        label = WARNING_LABELS.get(w.get("code"), w.get("code"))
        matched = ", ".join(str(m) for m in w.get("matched") or [])
        out.append(f"{label} ({matched})" if matched else str(label))
    return out
