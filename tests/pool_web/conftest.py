"""The pool page tests read English text: each client starts with the English interface
(the Chinese catalog would otherwise translate what they look for)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    test_client = app.test_client()
    assert test_client.get("/lang/en").status_code == 302
    return test_client
