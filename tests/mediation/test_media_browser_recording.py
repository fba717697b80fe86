"""Recording a session with real browsers, delivered to the web app as case evidence.

A booked session of a real case (built through the services, as tests/video does); the
web app itself (Flask, this test's database) is served on a loopback port and receives
the media server's signed callbacks. Two Chromium pages — the case's mediator and
applicant — meet through room.js. Recording is refused until everyone has agreed; each
page's own consent button is clicked; the mediator starts and stops recording from the
page and every page shows the recording indicator meanwhile. The WebM then arrives at the
app: an Evidence record of kind "recording" for this session whose stored bytes match
their hash and decode back (PyAV) to both people's video and audio.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import threading
from collections.abc import Iterator

import av
import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from odr.audit.models import AuditEvent
from odr.core.storage import get_storage
from odr.evidence.models import Evidence
from odr.extensions import db
from tests.browser import CHROMIUM
from tests.case_factories import case_in_mediation
from tests.factories import World
from tests.mediation.browser_room import Browsers, Person, admit, both_decoding, debug, media_server, page_server
from tests.mediation.helpers import LOOPBACK, SECRET
from tests.video.conftest import book_session

pytestmark = [pytest.mark.netns, pytest.mark.timeout(150),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed")]

INDICATOR = "#odr-recording-indicator"


@contextlib.contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app over real HTTP on a free loopback port (each request in its own app context)."""
    server = make_server(LOOPBACK, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{LOOPBACK}:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


async def _indicator(page, shown: bool, text: str | None = None) -> None:
    selector = f"{INDICATOR}:not([hidden])" if shown else f"{INDICATOR}[hidden]"
    await page.wait_for_selector(selector, state="attached", timeout=20_000)
    if text is not None:
        assert text in await page.inner_text(INDICATOR)
        assert await page.is_visible(INDICATOR)


def test_browsers_consent_record_and_the_webm_becomes_case_evidence(app: Flask, world: World, tmp_path):
    from playwright.async_api import async_playwright

    case = case_in_mediation(world)
    session = book_session(world, case)
    mediator_user = world.mediators[0]
    assert case.mediator_id == mediator_user.id
    cast = {"mediator": Person(mediator_user.id, "mediator", None, mediator_user.display_name, "zh"),
            "applicant": Person(world.applicant.id, "party", "applicant", world.applicant.display_name, "en")}
    app.config["MEDIA_SECRET"] = SECRET
    session_id, case_id, applicant_name = session.id, case.id, world.applicant.display_name
    db.session.commit()  # nothing of the test's own transaction may hold the database

    async def scenario(app_url: str) -> None:
        async with media_server(tmp_path, app_url) as offer_url:
            runner, base = await page_server(offer_url, cast, session_id=session_id, case_id=case_id)
            async with async_playwright() as pw:
                browsers = Browsers(pw, tmp_path / "profiles", base)
                try:
                    mediator = await browsers.open("mediator")
                    party = await browsers.open("applicant")
                    mediator_id, party_id = await admit(mediator, party)
                    await both_decoding(mediator, party, mediator_id, party_id)

                    # Nobody has agreed yet: the server refuses and the mediator's page says why.
                    await mediator.click("#odr-consent-yes")
                    await mediator.wait_for_selector("#odr-consent", state="hidden", timeout=20_000)
                    await mediator.click("#odr-record")
                    await mediator.wait_for_function(
                        "() => window.OdrRoom.errors.includes('consent_missing')", timeout=20_000)
                    assert applicant_name in await mediator.inner_text("#odr-room-status")
                    await _indicator(mediator, shown=False)

                    assert await party.is_visible("#odr-consent"), await debug(party)
                    await party.click("#odr-consent-yes")
                    await party.wait_for_selector("#odr-consent", state="hidden", timeout=20_000)
                    await mediator.wait_for_function(
                        "() => window.OdrRoom.roster.every(p => p.recording_consent === true)", timeout=20_000)
                    await mediator.click("#odr-record")
                    await _indicator(mediator, shown=True, text="正在录制")
                    await _indicator(party, shown=True, text="Recording")
                    assert await mediator.inner_text("#odr-record") == "停止录制"
                    await asyncio.sleep(4)  # about four seconds of both people on file
                    await mediator.click("#odr-record")
                    await _indicator(mediator, shown=False)
                    await _indicator(party, shown=False)
                    # consent given can be taken back from the page; recording cannot start again
                    assert await party.is_visible("#odr-consent-withdraw")
                    await party.click("#odr-consent-withdraw")
                    await party.wait_for_selector("#odr-consent", state="visible", timeout=20_000)
                    await mediator.wait_for_function(
                        "() => window.OdrRoom.roster.some(p => p.recording_consent === false)", timeout=20_000)
                    await mediator.click("#odr-record")
                    await asyncio.sleep(1)
                    await _indicator(party, shown=False)
                finally:
                    await browsers.close()
                    await runner.cleanup()
        # Leaving media_server waited for the delivery (the server drains its callbacks).

    with serving(app) as app_url:
        asyncio.run(scenario(app_url))

    db.session.rollback()  # a fresh transaction: see what the app's own requests committed
    [evidence] = db.session.execute(select(Evidence).where(Evidence.case_id == case_id)).scalars().all()
    assert (evidence.kind, evidence.session_id, evidence.media_type) == ("recording", session_id, "video/webm")
    data = b"".join(get_storage().iter_chunks(evidence.storage_key))
    assert len(data) == evidence.size and hashlib.sha256(data).hexdigest() == evidence.sha256
    actions = [a for (a,) in db.session.execute(select(AuditEvent.action).where(AuditEvent.case_id == case_id)
                                                .order_by(AuditEvent.id))]
    for action in ("session.live", "session.recording_started", "session.recording_stopped",
                   "session.recording_stored"):
        assert action in actions, actions
    assert actions.index("session.recording_started") < actions.index("session.recording_stopped")

    container = av.open(io.BytesIO(data))
    kinds = sorted(s.type for s in container.streams)
    assert kinds == ["audio", "audio", "video", "video"], kinds  # each person's camera and microphone
    decoded = {s.index: 0 for s in container.streams}
    last_time = {s.index: 0.0 for s in container.streams}
    sizes = set()
    for packet in container.demux():
        for frame in packet.decode():
            decoded[packet.stream.index] += 1
            if frame.time is not None:
                last_time[packet.stream.index] = frame.time
            if packet.stream.type == "video":
                sizes.add((frame.width, frame.height))
    container.close()
    assert all(n >= 20 for n in decoded.values()), decoded
    assert all(w >= 160 and h >= 120 for w, h in sizes), sizes  # Chromium's fake camera, not a placeholder
    assert 2.5 < min(last_time.values()) and max(last_time.values()) < 12, last_time  # the ~4 s recorded
