"""The public directories: organization filters and page, mediator filters and page."""

from __future__ import annotations

from typing import Any

from odr.mediators.availability import set_availability
from odr.mediators.profiles import update_profile
from odr.mediators.ratings import MIN_RATINGS
from tests.factories import World
from tests.pool_web.helpers import profile


def _names(html: str, world: World) -> set[str]:
    everyone = [*world.mediators, world.town_mediator]
    return {m.username for m in everyone if f"/mediators/{m.id}\"" in html}


def test_organization_directory_filters(client: Any, world: World) -> None:
    html = client.get("/organizations").get_data(as_text=True)
    assert world.county.name in html and world.village.name in html
    html = client.get("/organizations?level=town").get_data(as_text=True)
    assert world.town.name in html and world.county.name not in html
    html = client.get("/organizations?category=labour").get_data(as_text=True)
    assert world.county.name in html and world.town.name not in html
    html = client.get(f"/organizations?region={world.town.region_code}").get_data(as_text=True)
    assert world.town.name in html and world.village.name in html and world.county.name not in html
    html = client.get("/organizations?kind=lawyer_studio").get_data(as_text=True)
    assert world.county.name not in html
    assert client.get("/organizations?level=nonsense&page=x&region=abc").status_code == 200


def test_organization_page_shows_fees_courts_scope_and_mediators(client: Any, world: World) -> None:
    resp = client.get(f"/organizations/{world.county.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Free: people's mediation charges no fee." in html.replace("&#39;", "'")
    assert world.court.name in html and "浙0681" in html
    assert "Labour" in html and "Neighbours" in html
    assert world.mediators[0].display_name in html
    html = client.get(f"/organizations/{world.village.id}").get_data(as_text=True)
    assert world.town.name in html  # its parent
    assert client.get("/organizations/999999").status_code == 404


def test_mediator_directory_filters(client: Any, world: World) -> None:
    m0, m1 = world.mediators
    update_profile(profile(m1.id), {"languages": "zh, 诸暨话"}, world.org_admin)
    base = _names(client.get("/mediators").get_data(as_text=True), world)
    assert base == {m0.username, m1.username, world.town_mediator.username}
    assert _names(client.get("/mediators?category=labour").get_data(as_text=True), world) == {m1.username}
    assert _names(client.get("/mediators?language=诸暨话").get_data(as_text=True), world) == {m1.username}
    got = _names(client.get(f"/mediators?region={world.town.region_code[:9]}").get_data(as_text=True), world)
    assert got == {world.town_mediator.username}
    got = _names(client.get(f"/mediators?organization={world.county.id}").get_data(as_text=True), world)
    assert got == {m0.username, m1.username}
    # available within N days: only a mediator with weekly hours on a day in the window
    every_day = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)]
    set_availability(profile(m0.id), every_day, [], world.org_admin)
    assert _names(client.get("/mediators?within=3").get_data(as_text=True), world) == {m0.username}
    html = client.get(f"/mediators/{m0.id}").get_data(as_text=True)
    assert "Next free time" in html and "No free time published" not in html


def test_directory_paginates(client: Any, world: World) -> None:
    from odr.mediators import views

    old = views.PER_PAGE
    views.PER_PAGE = 2
    try:
        first = client.get("/mediators").get_data(as_text=True)
        second = client.get("/mediators?page=2").get_data(as_text=True)
    finally:
        views.PER_PAGE = old
    assert "Page 1 of 2" in first and 'rel="next"' in first
    assert len(_names(first, world)) == 2 and len(_names(second, world)) == 1


def test_rating_aggregate_hidden_below_five(client: Any, world: World) -> None:
    m0 = world.mediators[0]
    prof = profile(m0.id)
    prof.rating_count, prof.rating_sum = MIN_RATINGS - 1, 4 * (MIN_RATINGS - 1)
    from odr.extensions import db

    db.session.commit()
    html = client.get(f"/mediators/{m0.id}").get_data(as_text=True)
    assert "★" not in html and "Shown once 5 parties have rated." in html
    prof = profile(m0.id)
    prof.rating_count, prof.rating_sum = MIN_RATINGS, 4 * MIN_RATINGS + 2
    db.session.commit()
    html = client.get(f"/mediators/{m0.id}").get_data(as_text=True)
    assert "★ 4.4 / 5" in html and "5 ratings" in html
    assert "★ 4.4" in client.get("/mediators").get_data(as_text=True)
