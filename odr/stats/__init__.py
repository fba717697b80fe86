"""Stats room: dashboards and exports, read from a rollup kept in step with the cases."""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    from odr.stats import cli, models  # noqa: F401
    from odr.stats.rollup import install

    install()
