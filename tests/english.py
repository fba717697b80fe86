"""For test folders whose assertions read English text: the app's default language is
Simplified Chinese (checked in tests/accounts); these tests pin English for readability."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask


@pytest.fixture(autouse=True)
def english(app: Flask) -> Iterator[None]:
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    yield
