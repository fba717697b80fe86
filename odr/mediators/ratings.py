"""Ratings: after a case closes each party may rate its mediator 1–5 once, with a comment.

Only aggregates are ever shown, and only from ``MIN_RATINGS`` up, so a single party
cannot be identified by their score. The running sum and count on the profile are
updated with the rating row, in one transaction.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from odr.audit.services import record
from odr.core.errors import BadInput, Conflict
from odr.extensions import db
from odr.mediators.models import MediatorProfile, Rating

MIN_RATINGS = 5
#: case statuses after which a party may rate the mediator
RATEABLE = ("closed", "agreement_effective", "failed")


def rate(case: Any, actor: Any, score: Any, comment: str | None = None) -> Rating:
    """Store one party's rating of the case's mediator (the caller checked ``case.rate``)."""
    if case.status not in RATEABLE or case.mediator_id is None:
        raise Conflict(_l("A mediator can be rated once the case has ended."), code="not_rateable")
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise BadInput(_l("Give a score from 1 to 5."), fields={"score": _l("Give a score from 1 to 5.")})
    exists = db.session.execute(select(Rating.id).where(Rating.case_id == case.id,
                                                        Rating.rater_id == actor.id)).first()
    if exists:
        raise Conflict(_l("You have rated this case already."), code="already_rated")
    row = Rating(case_id=case.id, mediator_id=case.mediator_id, rater_id=actor.id, score=value,
                 comment=(comment or "").strip()[:2000] or None)
    db.session.add(row)
    db.session.execute(update(MediatorProfile).where(MediatorProfile.user_id == case.mediator_id)
                       .values(rating_count=MediatorProfile.rating_count + 1,
                               rating_sum=MediatorProfile.rating_sum + value)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    record("mediator.rate", row, actor=actor, after={"mediator_id": case.mediator_id, "score": value})
    db.session.commit()
    return row


def rating_summary(profile: MediatorProfile) -> dict[str, Any] | None:
    """``{average, count}`` or None below the threshold."""
    if profile.rating_count < MIN_RATINGS:
        return None
    return {"average": round(profile.rating_sum / profile.rating_count, 1), "count": profile.rating_count}
