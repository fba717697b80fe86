"""The mediator shares their screen; the applicant's video of them changes, with no renegotiation.

room.js swaps the track on its one sending video transceiver (``RTCRtpSender.replaceTrack``):
no new offer, no new connection, no new receive slot on the other side. The applicant's
page must see the mediator's picture change to the screen's size (getStats
``frameWidth``/``frameHeight`` and the tile's ``videoWidth``) while frames keep coming,
and change back to the camera when the share stops.

No extra Chromium flag is needed: with tests/browser.py's ``--use-fake-ui-for-media-stream``
and ``--use-fake-device-for-media-stream``, Chromium 156 (headless) answers ``getDisplayMedia``
without a dialog with a fake 1280×720 "monitor" — wider than the 640×480 fake camera.
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
    debug,
    flowing,
    page_server,
    poll,
    stats,
)
from tests.mediation.helpers import running_server

pytestmark = [pytest.mark.netns, pytest.mark.timeout(150),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed")]

SIZE = "(pid) => document.querySelector(`.odr-tile[data-participant-id=\"${pid}\"] video`).videoWidth"
SAME_CONNECTION = """() => window.OdrRoom.pc === window.__pc
  && window.OdrRoom.pc.localDescription.sdp === window.__local
  && window.OdrRoom.pc.remoteDescription.sdp === window.__remote
  && window.OdrRoom.pc.signalingState === 'stable' && window.OdrRoom.pc.connectionState === 'connected'"""
REMEMBER = """() => { window.__pc = window.OdrRoom.pc; window.__local = window.OdrRoom.pc.localDescription.sdp;
  window.__remote = window.OdrRoom.pc.remoteDescription.sdp; }"""


async def _received_size(page, other: str, aspect: float | None = None) -> tuple[int, int]:
    """The decoded size of ``other``'s video once it is known (and has the shape ``aspect``)."""
    width, height = await poll(
        page, "async ([o, aspect]) => { const s = await window.OdrRoom.collectStats(); const v = s && s.video[o];"
        " if (!v || !v.frameWidth || !v.frameHeight) return null;"
        " if (aspect && Math.abs(v.frameWidth / v.frameHeight - aspect) > 0.02) return null;"
        " return [v.frameWidth, v.frameHeight]; }",
        [other, aspect], what=f"video of {other} with aspect {aspect}")
    return width, height


def test_screen_share_replaces_the_camera_for_the_others_and_stops_cleanly(tmp_path):
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
                    connections = dict(room.participants)
                    for page in (mediator, party):
                        await page.evaluate(REMEMBER)
                    slot = (await stats(party))["video"][mediator_id]["mid"]
                    camera = await _received_size(party, mediator_id)

                    await mediator.click("#odr-share")
                    await mediator.wait_for_function("() => !!window.OdrRoom.screen", timeout=20_000)
                    assert await mediator.inner_text("#odr-share") == "停止共享"
                    screen = await mediator.evaluate(
                        "() => { const s = window.OdrRoom.screen.getVideoTracks()[0].getSettings();"
                        " return [s.width, s.height, s.displaySurface || null]; }")
                    # the captured screen's shape (the encoder may scale it down when the machine is busy)
                    shared = await _received_size(party, mediator_id, aspect=screen[0] / screen[1])
                    assert shared != camera and shared[0] >= 320, (shared, camera, screen)
                    # a screen is sent sharp rather than smooth (contentHint "detail"): fewer frames are fine
                    assert await flowing(party, mediator_id, min_frames=4), await debug(party)
                    assert await party.evaluate(SIZE, mediator_id) == shared[0]
                    for page in (mediator, party):
                        assert await page.evaluate(SAME_CONNECTION), "the share renegotiated or reconnected"
                    assert (await stats(party))["video"][mediator_id]["mid"] == slot

                    await mediator.click("#odr-share")
                    assert await mediator.inner_text("#odr-share") == "共享屏幕"
                    assert await mediator.evaluate("() => window.OdrRoom.screen") is None
                    # the camera's shape again (its size may start lower and climb back, as after any switch)
                    back = await _received_size(party, mediator_id, aspect=camera[0] / camera[1])
                    assert back[0] <= camera[0], (back, camera)
                    assert await flowing(party, mediator_id), await debug(party)
                    for page in (mediator, party):
                        assert await page.evaluate(SAME_CONNECTION), "stopping the share renegotiated"
                    assert dict(room.participants) == connections  # the server saw no rejoin either
                    assert await mediator.evaluate(
                        "() => window.OdrRoom.videoSender().track === window.OdrRoom.localTrack('video')")
                finally:
                    await browsers.close()
                    await runner.cleanup()

    asyncio.run(scenario())
