"""Accounts room: users, roles, login, identity numbers, and the policy module."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from odr.accounts import cli, models, views  # noqa: F401
    from odr.accounts.loading import init_login

    init_login(app)
