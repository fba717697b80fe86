"""Fixtures and guards for the media server tests.

Tests that open peer connections or start a browser are marked ``netns``; they
must run inside a loopback-only network namespace (DESIGN.md).  The project
conftest skips them unless ``ODR_IN_NETNS=1``; this file repeats the guard so
these tests never run outside one even when collected on their own.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "netns: runs aiortc peers or a browser; needs a loopback-only network namespace"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("ODR_IN_NETNS") == "1":
        return
    skip = pytest.mark.skip(reason="needs a loopback-only network namespace (ODR_IN_NETNS=1)")
    for item in items:
        if "netns" in item.keywords and str(item.fspath).startswith(str(Path(__file__).parent)):
            item.add_marker(skip)
