"""Shared steps of the pool page tests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from odr.extensions import db
from odr.mediators.models import MediatorProfile
from tests.conftest import csrf_token, login


def profile(user_id: int) -> MediatorProfile:
    prof = db.session.get(MediatorProfile, user_id)
    db.session.refresh(prof)
    return prof


def as_user(client: FlaskClient, username: str, page: str = "/organizations") -> str:
    """Log in and return a CSRF token for the session's forms."""
    resp = login(client, username)
    assert resp.status_code in (302, 303), resp.status_code
    client.get("/lang/en")  # the tests read English text
    return csrf_token(client, page)


def post(client: FlaskClient, path: str, token: str, **data: Any) -> Any:
    return client.post(path, data={"csrf_token": token, **data})
