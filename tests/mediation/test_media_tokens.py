"""Only a valid, unexpired token for a live room gets in; the room closes on time."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from mediation.protocol import iso_utc, sign_room_token
from tests.mediation.helpers import SECRET, Client, claims, running_server, token, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.timeout(60)]


async def _post(url: str, body: object) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as resp:
        return resp.status, await resp.json()


def test_wrong_expired_or_missing_token_is_401(tmp_path):
    async def scenario():
        async with running_server(tmp_path) as server:
            url = server.offer_url
            sdp = "v=0\r\n"
            expired = sign_room_token(SECRET, claims(2), ttl_seconds=60, now=time.time() - 120)
            forged = sign_room_token("another-secret", claims(2))
            for bad, code in ((expired, "token_expired"), (forged, "token_invalid"),
                              ("not-a-token", "token_invalid"), (None, "token_invalid")):
                status, body = await _post(url, {"token": bad, "type": "offer", "sdp": sdp})
                assert status == 401, (bad, body)
                assert body["error"]["code"] == code
                assert body["error"]["message"]
            # A valid token with a garbage SDP is bad input, not a crash.
            status, body = await _post(url, {"token": token(2), "type": "offer", "sdp": sdp})
            assert status == 400 and body["error"]["code"] == "bad_offer"
            status, body = await _post(url, {"token": token(2), "type": "answer", "sdp": sdp})
            assert status == 400 and body["error"]["code"] == "bad_request"
            async with aiohttp.ClientSession() as http:
                async with http.post(url, data=b"{nope") as resp:
                    assert resp.status == 400
                async with http.options(url, headers={"Origin": "http://app.test"}) as resp:
                    assert resp.status == 204
                    assert resp.headers["Access-Control-Allow-Origin"] == "http://app.test"
                async with http.options(url, headers={"Origin": "http://evil.test"}) as resp:
                    assert "Access-Control-Allow-Origin" not in resp.headers
                async with http.get(server.url + "/healthz") as resp:
                    assert (await resp.json())["status"] == "ok"

    asyncio.run(scenario())


def test_ended_room_refuses_with_409(tmp_path):
    async def scenario():
        async with running_server(tmp_path) as server:
            mediator = Client(server, token(1, role="mediator"))
            party = Client(server, token(2))
            await mediator.join()
            await party.join()
            await mediator.wait_open()
            await party.wait_open()
            party.send({"type": "end"})  # only the mediator may end the room
            await wait_for(lambda: party.last("error") is not None)
            assert party.last("error")["code"] == "forbidden"
            mediator.send({"type": "end"})
            await wait_for(lambda: party.last("ended") is not None)
            late = Client(server, token(3))
            reply = await late.join(expect_status=409)
            assert reply["error"]["code"] == "room_closed"
            for client in (mediator, party, late):
                await client.close()
            await wait_for(lambda: "room_ended" in server.sink.names())

    asyncio.run(scenario())


def test_room_closes_after_booked_end_plus_grace(tmp_path):
    async def scenario():
        async with running_server(tmp_path, grace=1.0) as server:
            mediator = Client(server, token(1, role="mediator", ends_in=1.0))
            await mediator.join()
            await mediator.wait_open()
            await wait_for(lambda: mediator.last("ended") is not None, timeout=8)
            assert mediator.last("ended")["reason"] == "time"
            # A booking already past its end (plus grace) never opens a room.
            past = sign_room_token(SECRET, {**claims(4, session_id=77),
                                            "room_ends_at": iso_utc(time.time() - 5)})
            status, body = await _post(server.offer_url, {"token": past, "type": "offer", "sdp": "x"})
            assert status == 409 and body["error"]["code"] == "room_closed"
            await mediator.close()

    asyncio.run(scenario())
