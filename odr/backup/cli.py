"""`flask odr backup --output FILE`, `flask odr restore FILE` and `flask odr sweep-files`."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from odr.backup.archive import RestoreRefused, create_backup, restore_backup
from odr.backup.orphans import DEFAULT_GRACE, MIN_GRACE, sweep_orphans
from odr.core.cli import odr_cli


@odr_cli.command("backup")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path))
def backup(output: Path) -> None:
    """Write a consistent copy of the database and the stored files."""
    report = create_backup(output)
    click.echo(f"backup written to {report.path}: {sum(report.rows.values())} rows in "
               f"{len(report.rows)} tables, {report.files} files ({report.bytes} bytes)")


@odr_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(archive: Path) -> None:
    """Restore a backup into this empty instance (run `flask db upgrade` first)."""
    try:
        report = restore_backup(archive)
    except RestoreRefused as exc:
        click.echo(f"refused: {exc}", err=True)
        sys.exit(2)
    click.echo(f"restored {sum(report.rows.values())} rows and {report.files} files")
    if not report.ok:
        for problem in report.problems:
            click.echo(f"problem: {problem}", err=True)
        sys.exit(1)
    click.echo("every evidence hash and document hash verified; audit chain intact")


@odr_cli.command("sweep-files")
@click.option("--older-than", "hours", type=click.FloatRange(min=MIN_GRACE.total_seconds() / 3600),
              default=DEFAULT_GRACE.total_seconds() / 3600, show_default=True, metavar="HOURS",
              help="Judge only files older than this (a younger one may belong to a request still running).")
@click.option("--dry-run", is_flag=True, help="Report what would be removed; delete nothing.")
def sweep_files(hours: float, dry_run: bool) -> None:
    """Delete stored files that no row names (left by a crash between a file's write and its row's commit)."""
    report = sweep_orphans(timedelta(hours=hours), dry_run=dry_run)
    if report.refused:
        click.echo(f"refused: {report.refused}", err=True)
        sys.exit(1)
    verbs = {"found": "would remove", "deleted": "removed", "failed": "FAILED to remove"}
    for orphan in report.orphans:
        click.echo(f"{verbs[orphan.outcome]} {orphan.area}/{orphan.file.key} ({orphan.file.size} bytes, "
                   f"written {orphan.file.modified.isoformat(timespec='seconds')})")
    orphans = report.total("orphans")
    click.echo(f"{report.total('judged')} stored files older than {hours:g} h checked, {orphans} named by no row "
               f"({sum(o.file.size for o in report.orphans)} bytes)")
    if dry_run:
        click.echo("dry run: nothing was removed")
    else:
        click.echo(f"{report.total('deleted')} removed, {report.total('failed')} failed")
    if report.capped:
        click.echo("stopped at the per-run limit; run again for the rest")
    if report.total("failed"):
        sys.exit(1)
