"""One connection per person: a second join replaces the first, and the first is told.

Without the message, a page left open in another window would treat the closed
connection as a network drop and rejoin, replacing the new one in turn, for ever.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.mediation.helpers import Client, running_server, token, wait_for

pytestmark = [pytest.mark.netns, pytest.mark.timeout(120)]


def test_a_second_window_replaces_the_first_which_is_told(tmp_path):
    async def scenario():
        async with running_server(tmp_path) as server:
            mediator = Client(server, token(1, role="mediator"), luma=40)
            first = Client(server, token(2, side="applicant"), luma=120)
            for client in (mediator, first):
                await client.join()
                await client.wait_open()
            second = Client(server, token(2, side="applicant"), luma=120)
            await second.join()
            await second.wait_open()
            await wait_for(lambda: first.last("replaced") is not None)
            assert second.participant_id == first.participant_id  # the same seat, a new connection
            assert second.last("replaced") is None
            for client in (mediator, first, second):
                await client.close()

    asyncio.run(scenario())
