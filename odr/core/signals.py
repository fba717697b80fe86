"""Blinker signals: how an upstream room asks downstream rooms to act.

Rooms lower in the dependency order (accounts ← organizations ← mediators ← cases ←
{evidence, scheduling, agreements} ← documents ← confirmation) never import the rooms
above them; they send one of these and the receivers connect in their init_app.
Receivers run inside the sender's transaction and must not commit.
"""

from blinker import Namespace

_signals = Namespace()

#: sender=case, kwargs: before (str), after (str), actor (User | None)
case_status_changed = _signals.signal("case-status-changed")
#: sender=case, kwargs: actor
case_submitted = _signals.signal("case-submitted")
#: sender=case, kwargs: mediator_id, actor
mediator_assigned = _signals.signal("mediator-assigned")
#: sender=agreement, kwargs: case
agreement_effective = _signals.signal("agreement-effective")
#: sender=document, kwargs: case
document_issued = _signals.signal("document-issued")
#: sender=confirmation, kwargs: decision
ruling_issued = _signals.signal("ruling-issued")
