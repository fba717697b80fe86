"""Evidence room (see DESIGN.md, Rooms)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.evidence import models  # noqa: F401

    _sweep_interrupted_uploads(app)


def _sweep_interrupted_uploads(app: Flask) -> None:
    """At start-up, remove the part files of uploads cut off by a crash (kill -9, power
    loss): no record refers to them and nothing else would ever delete them."""
    from odr.core.storage import FileSystemStorage, build_storage

    if app.config.get("STORAGE", "local") != "local":
        return
    storage = build_storage(app)
    if isinstance(storage, FileSystemStorage):
        storage.sweep_parts()
