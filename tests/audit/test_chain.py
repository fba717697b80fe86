"""The audit chain: every write links to the previous event; edits and removals are found."""

from __future__ import annotations

from click.testing import Result
from sqlalchemy import select, text

from odr.audit.models import AuditEvent
from odr.audit.services import GENESIS, record, verify_chain
from odr.extensions import db


def _cli(app, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def _tamper(sql: str, **params) -> None:
    """Alter the table behind the app's back, as an attacker with database access would."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # bypass the append-only trigger
        conn.execute(text(sql), params)
    db.session.rollback()  # end the test session's snapshot so it sees the tampered table


def test_chain_links_every_event(app, world):
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert len(events) > 10  # building the world audited every account and organization
    assert events[0].prev_hash == GENESIS
    for prev, event in zip(events, events[1:], strict=False):
        assert event.prev_hash == prev.hash
    report = verify_chain()
    assert report.ok and report.checked == len(events)
    result = _cli(app, "odr", "verify-audit")
    assert result.exit_code == 0, result.output
    assert f"{len(events)} events" in result.output


def test_verify_audit_reports_an_edited_event(app, world):
    target = db.session.execute(select(AuditEvent).order_by(AuditEvent.id).offset(5).limit(1)).scalar_one()
    db.session.commit()
    _tamper("UPDATE audit_event SET actor_name = 'someone else' WHERE id = :id", id=target.id)
    result = _cli(app, "odr", "verify-audit")
    assert result.exit_code == 1
    assert f"BROKEN at event {target.id}" in result.output
    assert "altered" in result.output


def test_verify_audit_reports_a_removed_event(app, world):
    ids = db.session.execute(select(AuditEvent.id).order_by(AuditEvent.id)).scalars().all()
    db.session.commit()
    _tamper("DELETE FROM audit_event WHERE id = :id", id=ids[3])
    result = _cli(app, "odr", "verify-audit")
    assert result.exit_code == 1
    assert f"BROKEN at event {ids[4]}" in result.output
    assert "removed" in result.output


def test_an_event_rolls_back_with_its_transaction(app, world):
    before = db.session.execute(select(db.func.count(AuditEvent.id))).scalar_one()
    record("test.rolled_back", world.county, actor=world.admin)
    db.session.rollback()
    after = db.session.execute(select(db.func.count(AuditEvent.id))).scalar_one()
    assert after == before
    assert verify_chain().ok
