"""Restore a backup into a second, empty instance, as an operator would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade

from odr import create_app
from odr.config import TestConfig
from odr.extensions import db

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def restoring(instance: Path, database_url: str, archive: Path) -> Iterator[tuple[Flask, Any]]:
    """Yield (the target app, the ``flask odr restore`` result) inside the target's app context.

    The target starts at the current migration with no rows. Read ORM attributes of the source
    app before entering: inside, a lazy refresh would use the target's engine.
    """
    target = create_app(TestConfig(instance, database_url))
    with target.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.create_all()
        try:
            yield target, target.test_cli_runner().invoke(args=["odr", "restore", str(archive)])
        finally:
            db.session.remove()
            db.engine.dispose()
