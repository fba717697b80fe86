from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.scheduling.helpers import Inbox, start_smtp


@pytest.fixture()
def smtp(app: Any) -> Iterator[Inbox]:
    controller, inbox = start_smtp(app)
    yield inbox
    controller.stop()
