"""The media server is killed (SIGKILL) during a session with two real browsers in it.

Like tests/faults/test_media_crash.py, but the participants are headless Chromium pages
running odr/static/js/room.js, as people use it. The media server runs as its own
process (``python -m mediation``) on a fixed port; the page server (the stand-in web app,
tests/mediation/browser_room.py) keeps answering joins the whole time. After the kill
each page must show that the connection is lost and count down to its next attempt;
once the server is started again on the same port, both pages must come back without a
reload. The new server has no memory of the room, so the applicant waits in the lobby
again until the mediator admits them — through the page — and then video and audio
flow both ways again (getStats). Runs inside a loopback-only network namespace.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import CHROMIUM
from tests.faults.helpers import ROOT, free_port, kill_hard, stop
from tests.mediation.browser_room import CAST, Browsers, admit, both_decoding, debug, page_server, room_state, status
from tests.mediation.helpers import SECRET

pytestmark = [pytest.mark.netns, pytest.mark.slow, pytest.mark.timeout(180),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed")]

LOST = {"mediator": "连接中断", "applicant": "Connection lost"}  # the mediator's page is in Chinese


def _media_process(port: int, page_origin: str, tmp: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ODR_MEDIA_SECRET": SECRET, "ODR_MEDIA_HOST_ADDRESSES": "127.0.0.1",
           "ODR_PUBLIC_URL": f"http://127.0.0.1:{free_port()}", "ODR_ICE_SERVERS": "[]",
           "ODR_MEDIA_ALLOWED_ORIGINS": page_origin, "ODR_MEDIA_RECORDINGS_DIR": str(tmp / "rec")}
    log = open(tmp / "media.log", "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen([sys.executable, "-m", "mediation", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=log)
    finally:
        log.close()


def test_both_pages_show_the_loss_and_come_back_when_the_server_does(tmp_path):
    from playwright.async_api import async_playwright

    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []

    async def scenario() -> None:
        runner, base = await page_server(f"http://127.0.0.1:{port}/rooms/offer", CAST)
        procs.append(_media_process(port, base, tmp_path))
        async with async_playwright() as pw:
            browsers = Browsers(pw, tmp_path / "profiles", base)
            try:
                pages = {"mediator": await browsers.open("mediator"), "applicant": await browsers.open("applicant")}
                mediator, party = pages["mediator"], pages["applicant"]
                await room_state(mediator, "admitted")  # pages retry until the server is up
                mediator_id, party_id = await admit(mediator, party)
                await both_decoding(mediator, party, mediator_id, party_id)
                await party.evaluate("window.__before = window.OdrRoom")  # a reload would lose this

                kill_hard(procs[-1])
                for who, page in pages.items():
                    await room_state(page, "lost", timeout=30_000)
                    await page.wait_for_function(
                        "(t) => document.querySelector('#odr-room-status').textContent.includes(t)",
                        arg=LOST[who], timeout=15_000)
                # While the server is down the pages keep trying, counting down between attempts
                # (each in its own language), with nobody's stale picture left on screen.
                for page, countdown in ((party, "again in \\d+ s"), (mediator, "\\d+ 秒后重新连接")):
                    await page.wait_for_function(
                        "(re) => new RegExp(re).test(document.querySelector('#odr-room-status').textContent)"
                        " && window.OdrRoom.retries >= 2", arg=countdown, timeout=30_000, polling=200)
                    assert await page.locator(".odr-tile").count() == 0, await debug(page)
                    assert await page.locator("#odr-roster li").count() == 0, await debug(page)
                    assert await page.evaluate("window.OdrRoom.state") == "lost"

                procs.append(_media_process(port, base, tmp_path))  # the same port: the pages' URL is unchanged
                await room_state(mediator, "admitted", timeout=45_000)
                # A new server knows nothing of the room: the applicant is back in the lobby.
                mediator_id, party_id = await admit(mediator, party)
                await both_decoding(mediator, party, mediator_id, party_id)
                assert await party.evaluate("window.__before === window.OdrRoom"), "the page was reloaded"
                for page in pages.values():
                    assert await page.evaluate("window.OdrRoom.retries") == 0
                    assert "Connection lost" not in await status(page) and "连接中断" not in await status(page)
            finally:
                await browsers.close()
                await runner.cleanup()

    try:
        asyncio.run(scenario())
    finally:
        for proc in procs:
            stop(proc)
