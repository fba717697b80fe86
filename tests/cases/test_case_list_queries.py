"""GET /api/v1/cases costs a fixed number of queries per page, not several per case.

The load test found the party's case list (the most frequent request) at 250 ms median:
every case loaded its claims, parties, agents, deadlines and the viewer's capacity one
query at a time. This counts the statements the list sends for 2 and for 12 cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from odr.extensions import db
from tests.case_factories import file_case, submitted_case
from tests.conftest import api_token


@contextmanager
def _counting() -> Iterator[list[str]]:
    seen: list[str] = []

    def _count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _count)


def _list(client, headers) -> tuple[dict, int]:
    with _counting() as seen:
        resp = client.get("/api/v1/cases?per_page=50", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json(), len(seen)


def test_case_list_queries_do_not_grow_with_the_page(client, world):
    h = api_token(client, "applicant")
    for _ in range(2):
        submitted_case(world)
    small, few = _list(client, h)
    for _ in range(10):
        file_case(world)
    large, many = _list(client, h)
    assert small["total"] == 2 and large["total"] == 12
    assert many == few, f"{few} statements for 2 cases but {many} for 12"
    # the batched page says the same as the one-case endpoint
    one = client.get(f"/api/v1/cases/{large['items'][-1]['id']}", headers=h).get_json()
    assert large["items"][-1] == one
    assert all(p["id_number"] for p in one["parties"] if p["side"] == "applicant")
