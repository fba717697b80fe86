"""Scaffolding shared by the real-browser room tests (test_media_browser_*.py and
tests/faults/test_media_crash_browser.py).

A small page server stands in for the web app's room page: it serves a minimal page,
room.js itself, and a join endpoint that mints real room tokens (``sign_room_token``)
for a fixed cast of people. Browsers are Debian's Chromium with the one set of flags
in tests/browser.py. What the tests assert comes from the pages: room.js's state and
status text, its tiles, and ``RTCPeerConnection.getStats()`` (``OdrRoom.collectStats``).

:func:`cut_udp_port` cuts one browser's network path for real: policy-routing rules
blackhole every UDP packet to or from that port (the kernel of this machine has no
netem or tc actions, and DevTools' offline mode does not touch WebRTC). It only ever
runs inside the tests' loopback-only network namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from mediation.config import Settings
from mediation.protocol import iso_utc, sign_room_token
from mediation.server import create_app
from tests.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.mediation.helpers import LOOPBACK, SECRET

JS_DIR = Path(__file__).resolve().parents[2] / "odr" / "static" / "js"
#: the room client's files, in the order templates/sessions/room.html loads them
ROOM_SCRIPTS = ("room_view.js", "room.js")
SCRIPT_TAGS = "".join(f'<script src="/static/js/{name}"></script>' for name in ROOM_SCRIPTS)
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>room</title></head><body>
<div id="odr-room" data-join-url="/join/{who}" data-csrf-token="test-csrf" data-lang="{lang}"
     data-autojoin="1" data-slots="3"></div>
""" + SCRIPT_TAGS + "</body></html>"


async def room_script(request: web.Request) -> web.Response:
    """Serve one of ROOM_SCRIPTS from odr/static/js (nothing else)."""
    name = request.match_info["name"]
    if name not in ROOM_SCRIPTS:
        raise web.HTTPNotFound()
    return web.Response(body=(JS_DIR / name).read_bytes(), content_type="application/javascript")
STATS = "async () => JSON.stringify(await window.OdrRoom.collectStats())"
DEBUG = ("() => JSON.stringify({state: OdrRoom.state, status: document.querySelector('#odr-room-status')"
         ".textContent, errors: OdrRoom.errors, retries: OdrRoom.retries, tracks: OdrRoom.tracks,"
         " pc: OdrRoom.pc && OdrRoom.pc.connectionState})")


@dataclass(frozen=True)
class Person:
    """One seat at the table: what the join endpoint puts in this person's token."""

    user_id: int
    role: str
    side: str | None
    name: str
    lang: str = "en"


MEDIATOR = Person(1, "mediator", None, "调解员 王", "zh")
APPLICANT = Person(2, "party", "applicant", "Applicant Li")
CAST = {"mediator": MEDIATOR, "applicant": APPLICANT}


async def page_server(offer_url: str, cast: dict[str, Person], session_id: int = 5,
                      case_id: int = 9) -> tuple[web.AppRunner, str]:
    """The stand-in web app on a free loopback port; ``/room/<who>`` is that person's page.

    ``offer_url`` may point at a media server that is not (yet, or any more) running:
    the page only learns it from the join answer, as from the real app.
    """

    async def page(request: web.Request) -> web.Response:
        who = request.match_info["who"]
        return web.Response(text=PAGE.format(who=who, lang=cast[who].lang), content_type="text/html")

    async def join(request: web.Request) -> web.Response:
        assert request.headers.get("X-CSRFToken") == "test-csrf"
        person = cast[request.match_info["who"]]
        claims = {"kind": "mediation", "session_id": session_id, "case_id": case_id,
                  "user_id": person.user_id, "display_name": person.name, "role": person.role,
                  "side": person.side, "room_ends_at": iso_utc(time.time() + 3600)}
        return web.json_response({"room_token": sign_room_token(SECRET, claims, ttl_seconds=300),
                                  "signaling_url": offer_url, "ice_servers": []})

    app = web.Application()
    app.router.add_get("/room/{who}", page)
    app.router.add_post("/join/{who}", join)
    app.router.add_get("/static/js/{name}", room_script)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, LOOPBACK, 0).start()
    return runner, f"http://{LOOPBACK}:{runner.addresses[0][1]}"


@contextlib.asynccontextmanager
async def media_server(tmp_path: Path, callback_base: str | None) -> AsyncIterator[str]:
    """The real media server in this process, calling back to ``callback_base``; yields its offer URL."""
    settings = Settings(secret=SECRET, host_addresses=[LOOPBACK], recordings_dir=str(tmp_path / "rec"),
                        callback_base=callback_base, allowed_origins=["*"], callback_backoff=0.2)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    await web.TCPSite(runner, LOOPBACK, 0).start()
    try:
        yield f"http://{LOOPBACK}:{runner.addresses[0][1]}/rooms/offer"
    finally:
        await runner.cleanup()


class Browsers:
    """One Chromium per person, each with a fresh profile; all closed together."""

    def __init__(self, playwright: Any, profiles: Path, base_url: str) -> None:
        self.playwright = playwright
        self.profiles = profiles
        self.base_url = base_url
        self.contexts: list[Any] = []

    async def open(self, who: str, extra_args: tuple[str, ...] = ()) -> Any:
        """``who``'s room page, loaded (room.js joins by itself: data-autojoin)."""
        context = await self.playwright.chromium.launch_persistent_context(
            str(self.profiles / who), executable_path=CHROMIUM, headless=False,
            args=[*CHROMIUM_FLAGS, *extra_args], ignore_default_args=["--headless"])
        self.contexts.append(context)
        page = context.pages[0] if context.pages else await context.new_page()
        await page.goto(f"{self.base_url}/room/{who}")
        return page

    async def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(Exception):  # a crashed browser must not hide the test's failure
                await context.close()


# ------------------------------------------------------------------ what the pages show

async def stats(page: Any) -> dict[str, Any]:
    return json.loads(await page.evaluate(STATS) or "null") or {"video": {}, "audio": {}}


async def debug(page: Any) -> str:
    """What room.js knows, for an assertion message."""
    try:
        return str(await page.evaluate(DEBUG))
    except Exception as exc:  # noqa: BLE001 - only ever used to explain a failure
        return f"<page unavailable: {exc}>"


async def room_state(page: Any, state: str, timeout: int = 30_000) -> None:
    await page.wait_for_function("(s) => window.OdrRoom && window.OdrRoom.state === s", arg=state,
                                 timeout=timeout, polling=100)


async def status(page: Any) -> str:
    return await page.inner_text("#odr-room-status")


async def poll(page: Any, script: str, arg: Any = None, timeout: float = 30, what: str = "condition") -> Any:
    """Evaluate ``script`` (may be async) every 0.5 s until it returns something truthy; return that.

    Not ``page.wait_for_function``: Playwright does not await an async predicate there (the
    returned promise is truthy at once), so a getStats condition would never be waited for.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = await page.evaluate(script, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout:.0f} s: {await debug(page)}")
        await asyncio.sleep(0.5)


async def decoding(page: Any, other: str, timeout: float = 30) -> None:
    """``page`` has decoded some video and received some audio from ``other``."""
    await poll(page, "async (o) => { const s = await window.OdrRoom.collectStats();"
               " return !!(s && s.video[o] && s.video[o].framesDecoded > 20"
               " && s.audio[o] && s.audio[o].packetsReceived > 50); }",
               other, timeout, f"media from {other}")


async def flowing(page: Any, other: str, attempts: int = 6, min_frames: int = 10) -> bool:
    """Over a 2 s window ``page`` decodes >= ``min_frames`` new video frames and gets new
    audio from ``other``; retried a few times because the shared test machine is noisy."""
    for _ in range(attempts):
        first = await stats(page)
        await asyncio.sleep(2)
        later = await stats(page)
        try:
            v0, v1 = first["video"][other], later["video"][other]
            a0, a1 = first["audio"][other], later["audio"][other]
        except KeyError:
            continue
        if (v1["framesDecoded"] - v0["framesDecoded"] >= min_frames and v1["bytesReceived"] > v0["bytesReceived"]
                and a1["packetsReceived"] > a0["packetsReceived"]):
            return True
    return False


async def admit(mediator: Any, party: Any) -> tuple[str, str]:
    """The party waits in the lobby until the mediator clicks Admit; returns (mediator_id, party_id)."""
    await room_state(party, "lobby")
    party_id = await party.evaluate("window.OdrRoom.participantId")
    await mediator.click(f"#odr-admit-{party_id}", timeout=30_000)
    await room_state(party, "admitted")
    return await mediator.evaluate("window.OdrRoom.participantId"), party_id


async def both_decoding(mediator: Any, party: Any, mediator_id: str, party_id: str) -> None:
    await asyncio.gather(decoding(mediator, party_id), decoding(party, mediator_id))
    for page, other in ((mediator, party_id), (party, mediator_id)):
        assert await flowing(page, other), f"no steady media from {other}: {await debug(page)}"


# ------------------------------------------------------------------ a real network cut

SELECTED_LOCAL_PORT = """async () => {
  const report = await window.OdrRoom.pc.getStats(); let pair = null;
  report.forEach(s => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId); });
  return pair ? report.get(pair.localCandidateId).port : null; }"""


async def selected_local_port(page: Any) -> int:
    """The UDP port this page's connection to the media server uses right now."""
    port = await page.evaluate(SELECTED_LOCAL_PORT)
    assert port, f"no selected candidate pair: {await debug(page)}"
    return int(port)


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def only_loopback() -> bool:
    """True inside the tests' network namespace: loopback is the only interface."""
    return os.environ.get("ODR_IN_NETNS") == "1" and [name for _, name in socket.if_nameindex()] == ["lo"]


@contextlib.contextmanager
def cut_udp_port(port: int) -> Iterator[None]:
    """Drop every UDP packet from or to ``port`` until the block ends.

    The kernel's ``local`` routing rule (preference 0) is moved behind two blackhole
    rules for the port; sending then fails with EINVAL on both sides, as on a link that
    went down. Everything is put back afterwards. Refuses to run outside a loopback-only
    namespace: these are the namespace's own routing rules, never the host's.
    """
    if not only_loopback() or os.geteuid() != 0:
        raise RuntimeError("cut_udp_port runs only as root in a loopback-only network namespace")
    _ip("rule", "add", "pref", "100", "lookup", "local")
    _ip("rule", "del", "pref", "0")
    try:
        _ip("rule", "add", "pref", "10", "ipproto", "udp", "sport", str(port), "blackhole")
        _ip("rule", "add", "pref", "11", "ipproto", "udp", "dport", str(port), "blackhole")
        yield
    finally:
        for pref in ("10", "11"):
            subprocess.run(["ip", "rule", "del", "pref", pref], capture_output=True, timeout=10)
        _ip("rule", "add", "pref", "0", "lookup", "local")
        _ip("rule", "del", "pref", "100")
