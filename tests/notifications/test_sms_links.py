"""An SMS keeps its link whole, and a served SMS's tracked link opens the right page."""

from __future__ import annotations

from sqlalchemy import select

from odr.extensions import db
from odr.notifications.models import Delivery, OutboxMessage
from odr.notifications.services import SMS_MAX_CHARS, notify, sms_text
from tests.case_factories import submitted_case


def test_sms_text_never_cuts_the_link():
    link = "http://127.0.0.1:5000/invitations/" + "x" * 40
    text = sms_text("调解邀请", "很长的正文" * 200 + link, link, link)
    assert text.endswith(" " + link) and len(text) <= SMS_MAX_CHARS
    assert text.count(link) == 1


def test_a_legal_sms_to_a_phone_only_party_has_a_working_tracked_link(app, client, world):
    case = submitted_case(world)
    notify(None, "invitation", "调解邀请", "请打开链接", link="/invitations/abc", case=case,
           phone="13900009999", legal=True, recipient_name="李四")
    db.session.commit()
    msg = db.session.execute(select(OutboxMessage).where(OutboxMessage.channel == "sms", OutboxMessage.recipient == "13900009999")).scalar_one()
    delivery = db.session.execute(select(Delivery).where(Delivery.channel == "sms", Delivery.outbox_id == msg.id)).scalar_one()
    assert delivery.token and f"/d/{delivery.token}" in msg.body
    resp = client.get(f"/d/{delivery.token}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/invitations/abc")
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).opened_at is not None
