"""Helpers for the case pages' tests: a logged-in client in English, CSRF tokens, forms."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import _csrf_from, login


def english(client: FlaskClient) -> FlaskClient:
    client.get("/lang/en")
    return client


def logged_in(app: Flask, username: str) -> FlaskClient:
    client = english(app.test_client())
    assert login(client, username).status_code == 302
    return client


def token(client: FlaskClient, path: str = "/cases") -> str:
    return _csrf_from(client.get(path).get_data(as_text=True))


def post(client: FlaskClient, path: str, data: dict[str, Any], page: str = "/cases") -> Any:
    return client.post(path, data={"csrf_token": token(client, page), **data})


def case_id_from(location: str) -> int:
    match = re.search(r"/cases/(\d+)", location)
    assert match, location
    return int(match.group(1))
