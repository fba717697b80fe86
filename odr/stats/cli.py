"""``flask odr stats-rebuild``: recompute the statistics rollup from the live tables.

Needed once after the rollup tables are created on an existing database, and after
rows were written by raw SQL that the session hooks cannot see (bulk loads, repairs).
"""

from __future__ import annotations

import time

import click

from odr.core.cli import odr_cli
from odr.extensions import db
from odr.stats.rollup import rebuild


@odr_cli.command("stats-rebuild")
def stats_rebuild() -> None:
    """Rebuild the statistics rollup (one transaction; readers see old or new, never half)."""
    started = time.perf_counter()
    counts = rebuild(db.session)
    db.session.commit()
    click.echo(f"rebuilt statistics: {counts['facts']} facts, {counts['cells']} cells "
               f"in {time.perf_counter() - started:.1f} s")
