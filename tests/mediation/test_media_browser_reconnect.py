"""A participant's network drops in the middle of a session; room.js notices and rejoins.

Two headless Chromium pages (the mediator in Chinese, the applicant in English) are in
a room on the real media server. The applicant's connection is cut for real: every UDP
packet to or from the port their browser uses is dropped (browser_room.cut_udp_port;
DevTools' offline switch would not touch WebRTC). Their page must say the connection
is lost, then rejoin by itself on a new path — still cut off on the old one — and come
back admitted (the server remembers who was let in), with video and audio flowing again
both ways.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.browser import CHROMIUM
from tests.mediation.browser_room import (
    CAST,
    Browsers,
    admit,
    both_decoding,
    cut_udp_port,
    debug,
    only_loopback,
    page_server,
    room_state,
    selected_local_port,
    status,
)
from tests.mediation.helpers import running_server

pytestmark = [pytest.mark.netns, pytest.mark.timeout(150),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed")]


def test_a_dropped_participant_sees_the_loss_and_rejoins_by_itself(tmp_path):
    if not only_loopback() or os.geteuid() != 0:
        pytest.skip("cutting a UDP path needs root in a loopback-only network namespace")
    from playwright.async_api import async_playwright

    async def scenario() -> None:
        async with running_server(tmp_path, allowed_origins=["*"]) as server:
            runner, base = await page_server(server.offer_url, CAST)
            async with async_playwright() as pw:
                browsers = Browsers(pw, tmp_path / "profiles", base)
                try:
                    mediator = await browsers.open("mediator")
                    party = await browsers.open("applicant")
                    mediator_id, party_id = await admit(mediator, party)
                    await both_decoding(mediator, party, mediator_id, party_id)
                    room = next(iter(server.rooms().rooms.values()))
                    before = room.participants[party_id]
                    old_port = await selected_local_port(party)

                    with cut_udp_port(old_port):
                        # The applicant's page says the connection is lost ...
                        await room_state(party, "lost", timeout=30_000)
                        assert "Connection lost" in await status(party), await debug(party)
                        # ... and comes back on its own, on a new path: the old one stays cut.
                        await room_state(party, "admitted", timeout=45_000)
                        assert await party.evaluate("window.OdrRoom.participantId") == party_id
                        assert await selected_local_port(party) != old_port
                        await both_decoding(mediator, party, mediator_id, party_id)
                        assert await mediator.locator(
                            f'.odr-tile[data-participant-id="{party_id}"]:not([hidden])').count() == 1
                        # one connection per person: the rejoin replaced the stale one
                        assert set(room.participants) == {mediator_id, party_id}
                        assert room.participants[party_id] is not before and before.closed
                        assert await party.evaluate("window.OdrRoom.retries") == 0
                        assert await mediator.evaluate("window.OdrRoom.state") == "admitted"
                finally:
                    await browsers.close()
                    await runner.cleanup()

    asyncio.run(scenario())

