"""`flask odr verify-audit`: exit 1 and name the first broken event if the chain was altered."""

from __future__ import annotations

import sys

import click

from odr.audit.services import verify_chain
from odr.core.cli import odr_cli


@odr_cli.command("verify-audit")
def verify_audit() -> None:
    """Check the audit chain from the first event to the last."""
    report = verify_chain()
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} events checked")
        return
    click.echo(f"audit chain BROKEN at event {report.broken_id}: {report.problem} "
               f"({report.checked} events before it are intact)", err=True)
    sys.exit(1)
