"""``flask odr scheduler``: the scheduler as its own process (one of several may lead)."""

from __future__ import annotations

import json

import click
from flask import current_app

from odr.core.cli import odr_cli


@odr_cli.command("scheduler")
@click.option("--once", is_flag=True, help="Run one sweep now and exit (no leader election).")
@click.option("--sweep-seconds", type=float, default=None, help="How often the leader sweeps due rows.")
def scheduler_command(once: bool, sweep_seconds: float | None) -> None:
    """Run the scheduler process: elect a leader, sweep deadlines, reminders and the outbox."""
    if once:
        from odr.scheduling.sweep import run_sweep

        click.echo(json.dumps(run_sweep(), default=str))
        return
    from odr.scheduling.jobs import run_forever

    run_forever(current_app._get_current_object(), sweep_seconds)  # type: ignore[attr-defined]
