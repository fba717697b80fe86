"""``flask odr seed-demo [--scale base|county|province]`` (API.md: Operations)."""

from __future__ import annotations

import time

import click

from odr.core.cli import odr_cli


@odr_cli.command("seed-demo")
@click.option("--scale", type=click.Choice(["base", "county", "province"]), default="county",
              show_default=True, help="how much demo data to seed")
def seed_demo(scale: str) -> None:
    """Seed demo data (idempotent) and print the demo logins."""
    from odr.demo import seed_base_demo, seed_county, seed_province
    from odr.demo.base import logins

    started = time.perf_counter()
    if scale == "base":
        seed_base_demo()
        summary = "base demo ready"
    elif scale == "county":
        summary = seed_county()
    else:
        summary = seed_province()
    click.echo(f"{summary} in {time.perf_counter() - started:.1f} s")
    click.echo("Demo logins (role, username, password):")
    for role, username, password in logins():
        click.echo(f"  {role:<30} {username:<20} {password}")
