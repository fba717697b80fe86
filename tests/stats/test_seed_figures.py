"""The seed figures of one county court (DESIGN.md) reproduced from records."""

from __future__ import annotations

import re

import pytest

from tests.conftest import api_token, login
from tests.stats.seed import CONFIRMED, DIVERTED, SETTLED, seed_court_figures


@pytest.fixture()
def seeded(world):
    seed_court_figures(world)
    return world


def _stat(html: str, ident: str) -> str:
    match = re.search(rf'id="{ident}">([^<]+)<', html)
    assert match, f"{ident} not on the page"
    return match.group(1)


def test_api_shows_the_seed_figures_to_the_court(client, seeded):
    resp = client.get("/api/v1/stats", headers=api_token(client, "judge"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["by_source"] == {"self_filed": 0, "court_diversion": DIVERTED, "api": 0}
    assert body["received"] == DIVERTED
    assert body["guidance_rate"] == 0.8548
    assert body["settled"] == SETTLED
    assert body["confirmations"] == {"applied": CONFIRMED, "confirmed": CONFIRMED, "rejected": 0}
    assert body["median_days_to_settlement"] == 13.0
    assert body["median_days_to_ruling"] is not None


def test_dashboard_shows_the_seed_figures(client, seeded):
    login(client, "clerk")
    html = client.get("/stats/").get_data(as_text=True)
    assert _stat(html, "stat-diverted") == "11,591"
    assert _stat(html, "stat-guidance") == "85.48%"
    assert _stat(html, "stat-settled") == "3,470"
    assert _stat(html, "stat-confirmed") == "2,948"
    assert "<svg" in html and "bar-received" in html


def test_admin_sees_everything_and_the_town_admin_only_the_town(client, seeded):
    admin = client.get("/api/v1/stats", headers=api_token(client, "admin")).get_json()
    assert admin["received"] == DIVERTED + 120
    assert admin["by_source"]["self_filed"] == 120
    town = client.get("/api/v1/stats", headers=api_token(client, "townadmin")).get_json()
    assert "received" in town, town
    assert town["received"] == 120 and town["settled"] == 40 and town["by_source"]["court_diversion"] == 0
    county = client.get("/api/v1/stats", headers=api_token(client, "orgadmin")).get_json()
    assert county["received"] == DIVERTED + 120  # the county and the town below it


def test_filters_narrow_the_figures(client, seeded):
    headers = api_token(client, "admin")
    jan = client.get("/api/v1/stats?from=2025-01-01&to=2025-01-31", headers=headers).get_json()
    assert 0 < jan["received"] < DIVERTED
    family = client.get("/api/v1/stats?category=family", headers=headers).get_json()
    assert family["by_source"]["court_diversion"] == len(range(0, DIVERTED, 6))
    town = client.get(f"/api/v1/stats?organization_id={seeded.town.id}", headers=headers).get_json()
    assert town["received"] == 120


def test_csv_exports_have_a_bom_and_the_rows(client, seeded):
    login(client, "admin")
    resp = client.get("/stats/export/categories.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + 6
    summary = client.get("/stats/export/summary.csv").get_data().decode("utf-8-sig")
    assert "85.48%" in summary and "11591" in summary
    trend = client.get("/stats/export/trend.csv").get_data().decode("utf-8-sig").splitlines()
    assert trend[1].startswith("2025-01,")
