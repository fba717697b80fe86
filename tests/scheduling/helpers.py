"""Shared set-up for scheduling and notification tests: a case in mediation, availability,
a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
from datetime import datetime, time, timedelta
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from odr.cases.models import Case, CaseParty
from odr.core.time import DEFAULT_TZ, UTC
from odr.extensions import db
from odr.mediators.models import AvailabilitySlot


def make_case(world: Any, status: str = "in_mediation", number: str = "(2026)诸调字第1号") -> Case:
    case = Case(status=status, category="neighbour", facts="围墙纠纷", organization_id=world.county.id,
                mediator_id=world.mediators[0].id, created_by_id=world.applicant.id, number=number,
                court_id=world.court.id)
    case.parties.append(CaseParty(side="applicant", name=world.applicant.display_name,
                                  user_id=world.applicant.id, consent="accepted"))
    case.parties.append(CaseParty(side="respondent", name=world.respondent.display_name,
                                  user_id=world.respondent.id, consent="accepted"))
    db.session.add(case)
    db.session.commit()
    return case


def open_all_week(mediator_id: int, start: time = time(7, 0), end: time = time(22, 0)) -> None:
    for day in range(7):
        db.session.add(AvailabilitySlot(mediator_id=mediator_id, weekday=day, start=start, end=end))
    db.session.commit()


def local_slot(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    """A future wall-clock time in Asia/Shanghai, as an aware datetime."""
    base = datetime.now(UTC).astimezone(DEFAULT_TZ).date() + timedelta(days=days_ahead)
    return datetime(base.year, base.month, base.day, hour, minute, tzinfo=DEFAULT_TZ)


class Inbox:
    """aiosmtpd handler keeping every received message."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]


def start_smtp(app: Any) -> tuple[Controller, Inbox]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["SMTP_HOST"] = "127.0.0.1"
    app.config["SMTP_PORT"] = port
    return controller, handler
