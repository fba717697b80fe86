"""Backup room: the database rows and the stored files as a whole.

`flask odr backup` and `flask odr restore`; `flask odr sweep-files` (and its daily job)
removes stored files no row names. ``stored_files`` is the one list of columns that name
stored files, which all three share.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.backup import cli  # noqa: F401
