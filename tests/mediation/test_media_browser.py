"""Two real headless Chromium browsers meet through room.js and the media server.

The page server below is test scaffolding standing in for the web app: it
serves a minimal page, room.js, and a join endpoint that mints room tokens
with ``sign_room_token``.  The media server is the real one.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import pytest
from aiohttp import web

from mediation.protocol import sign_room_token
from tests.browser import CHROMIUM
from tests.browser import CHROMIUM_FLAGS as FLAGS
from tests.mediation.browser_room import SCRIPT_TAGS, room_script
from tests.mediation.helpers import LOOPBACK, SECRET, claims, running_server

pytestmark = [pytest.mark.netns, pytest.mark.timeout(150)]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>room</title></head><body>
<div id="odr-room" data-join-url="/join/{user}" data-csrf-token="test-csrf" data-lang="{lang}"
     data-autojoin="1" data-slots="3"></div>
""" + SCRIPT_TAGS + "</body></html>"


async def _page_server(offer_url: str) -> tuple[web.AppRunner, str]:
    people = {"1": ("mediator", None, "调解员 王"), "2": ("party", "applicant", "Applicant Li"),
              "3": ("party", "respondent", "Respondent Liu")}

    async def page(request: web.Request) -> web.Response:
        user = request.match_info["user"]
        return web.Response(text=PAGE.format(user=user, lang="zh" if user == "1" else "en"),
                            content_type="text/html")

    async def join(request: web.Request) -> web.Response:
        assert request.headers.get("X-CSRFToken") == "test-csrf"
        user = request.match_info["user"]
        role, side, name = people[user]
        tok = sign_room_token(SECRET, {**claims(int(user), role=role, side=side), "display_name": name})
        return web.json_response({"room_token": tok, "signaling_url": offer_url, "ice_servers": []})

    app = web.Application()
    app.router.add_get("/room/{user}", page)
    app.router.add_post("/join/{user}", join)
    app.router.add_get("/static/js/{name}", room_script)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, LOOPBACK, 0)
    await site.start()
    return runner, f"http://{LOOPBACK}:{runner.addresses[0][1]}"


INBOUND = "async () => { const s = await window.OdrRoom.collectStats(); return JSON.stringify(s); }"


async def _flowing(page, other: str, attempts: int = 6) -> bool:
    """Over a 2 s window, ``page`` decodes >= 15 video frames and gets >= 50 audio packets
    from ``other``.  Retried a few times: the shared test machine is noisy."""
    for _ in range(attempts):
        first = json.loads(await page.evaluate(INBOUND))
        await asyncio.sleep(2)
        later = json.loads(await page.evaluate(INBOUND))
        try:
            v0, v1 = first["video"][other], later["video"][other]
            a0, a1 = first["audio"][other], later["audio"][other]
        except KeyError:
            continue
        if (v1["framesDecoded"] - v0["framesDecoded"] >= 15
                and a1["packetsReceived"] - a0["packetsReceived"] >= 50
                and v1["bytesReceived"] > v0["bytesReceived"]):
            return True
    return False


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed")
def test_two_browsers_receive_each_other(tmp_path):
    from playwright.async_api import async_playwright

    async def scenario():
        async with running_server(tmp_path, allowed_origins=["*"]) as server:
            runner, base = await _page_server(server.offer_url)
            try:
                async with async_playwright() as pw:
                    contexts = []
                    for user in ("1", "2"):
                        ctx = await pw.chromium.launch_persistent_context(
                            str(tmp_path / f"profile-{user}"), executable_path=CHROMIUM,
                            headless=False, args=FLAGS, ignore_default_args=["--headless"])
                        contexts.append(ctx)
                    mediator, party = [await ctx.new_page() for ctx in contexts]
                    await mediator.goto(base + "/room/1")
                    await party.goto(base + "/room/2")
                    # The party waits in the lobby until the mediator clicks "admit".
                    await party.wait_for_function("window.OdrRoom && window.OdrRoom.state === 'lobby'",
                                                  timeout=20000)
                    assert "Please wait" in await party.inner_text("#odr-room-status")
                    party_id = await party.evaluate("window.OdrRoom.participantId")
                    mediator_id = await mediator.evaluate("window.OdrRoom.participantId")
                    await mediator.click(f"#odr-admit-{party_id}", timeout=20000)
                    await party.wait_for_function("window.OdrRoom.state === 'admitted'", timeout=30000)
                    for page, other in ((mediator, party_id), (party, mediator_id)):
                        await _decoding(page, other)
                    for page, other in ((mediator, party_id), (party, mediator_id)):
                        assert await _flowing(page, other), f"no steady media from {other}"
                    # The UI shows the roster and the other person's tile.
                    assert await party.locator(f'.odr-tile[data-participant-id="{mediator_id}"]').count() == 1
                    assert await mediator.locator("#odr-roster li").count() == 2
                    assert "调解员" in await mediator.inner_text("#odr-roster")
                    for ctx in contexts:
                        await ctx.close()
            finally:
                await runner.cleanup()

    asyncio.run(scenario())


DECODING = ("async (o) => { const s = await window.OdrRoom.collectStats();"
            " return !!(s && s.video[o] && s.video[o].framesDecoded > 20"
            " && s.audio[o] && s.audio[o].packetsReceived > 50); }")


async def _decoding(page, other: str, timeout: float = 30) -> None:
    """Poll getStats from Python: Playwright's wait_for_function does not await an async
    predicate (the Promise itself is truthy), so it would return at once."""
    deadline = time.monotonic() + timeout
    while not await page.evaluate(DECODING, other):
        assert time.monotonic() < deadline, f"no decoded media from {other} within {timeout} s"
        await asyncio.sleep(0.5)


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed")
def test_three_browsers_last_admitted_sees_both(tmp_path):
    """The e2e failure: the party admitted last got black tiles (no keyframe ever came).

    Both parties wait in the lobby while their browsers publish, so the server
    has no first keyframe to ride on; the two admits attach six video slots to
    three publishers within a second.
    """
    from playwright.async_api import async_playwright

    async def scenario():
        async with running_server(tmp_path, allowed_origins=["*"]) as server:
            runner, base = await _page_server(server.offer_url)
            try:
                async with async_playwright() as pw:
                    contexts, pages = [], {}
                    for user in ("1", "2", "3"):
                        ctx = await pw.chromium.launch_persistent_context(
                            str(tmp_path / f"profile-{user}"), executable_path=CHROMIUM,
                            headless=False, args=FLAGS, ignore_default_args=["--headless"])
                        contexts.append(ctx)
                        pages[user] = await ctx.new_page()
                        await pages[user].goto(base + f"/room/{user}")
                    for user in ("2", "3"):
                        await pages[user].wait_for_function(
                            "window.OdrRoom && window.OdrRoom.state === 'lobby'", timeout=20000)
                    ids = {u: await p.evaluate("window.OdrRoom.participantId") for u, p in pages.items()}
                    room = next(iter(server.rooms().rooms.values()))
                    for _ in range(100):  # everyone has been publishing for a while
                        if all(p.publishers.get("video") and p.publishers["video"].frames_in > 40
                               for p in room.participants.values()):
                            break
                        await asyncio.sleep(0.2)
                    for user in ("2", "3"):
                        await pages["1"].click(f"#odr-admit-{ids[user]}", timeout=20000)
                        await pages[user].wait_for_function("window.OdrRoom.state === 'admitted'",
                                                            timeout=30000)
                    pairs = [(u, o) for u in pages for o in pages if o != u]
                    await asyncio.gather(*(_decoding(pages[u], ids[o]) for u, o in pairs))
                    results = await asyncio.gather(*(_flowing(pages[u], ids[o]) for u, o in pairs))
                    assert all(results), dict(zip(pairs, results, strict=True))
                    for ctx in contexts:
                        await ctx.close()
            finally:
                await runner.cleanup()

    asyncio.run(scenario())
