"""`flask odr create-admin --username U --password P` (no prompts)."""

from __future__ import annotations

import sys

import click

from odr.accounts.models import Role
from odr.accounts.services import create_user
from odr.core.cli import odr_cli
from odr.core.errors import BadInput
from odr.extensions import db


@odr_cli.command("create-admin")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--display-name", default="平台管理员")
def create_admin(username: str, password: str, display_name: str) -> None:
    """Create a platform administrator."""
    try:
        user = create_user(username=username, password=password, display_name=display_name,
                           role=Role.ADMIN)
    except BadInput as exc:
        db.session.rollback()
        details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
        click.echo(f"refused: {exc.message} {details}", err=True)
        sys.exit(1)
    db.session.commit()
    click.echo(f"created platform admin {user.username} (id {user.id})")
