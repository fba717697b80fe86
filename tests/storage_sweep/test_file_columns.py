"""The one list of columns that name stored files (odr/backup/stored_files.py): it covers
every such column in the models, and backup and restore carry a file of each kind."""

from __future__ import annotations

from odr.backup.stored_files import AREAS, FILE_COLUMNS, area_storage
from odr.extensions import db
from tests.backup.helpers import restoring
from tests.storage_sweep.helpers import fill_every_kind


def test_every_key_column_in_the_models_is_in_the_list(app):
    """A column holding a storage key that the list missed would lose its files to the
    sweep; by convention such columns are named ``*_key``."""
    key_columns = {(table.name, col.name) for table in db.metadata.sorted_tables for col in table.columns
                   if col.name.endswith("_key")}
    assert key_columns == {(fc.table, fc.column) for fc in FILE_COLUMNS}
    assert {fc.area for fc in FILE_COLUMNS} == set(AREAS)


def test_backup_and_restore_carry_a_file_of_every_kind(app, client, world, tmp_path, fresh_database_url):
    named = fill_every_kind(client, world)
    contents = {kind: b"".join(area_storage(area).iter_chunks(key)) for kind, (area, key) in named.items()}
    archive = tmp_path / "backup.tar"
    result = app.test_cli_runner().invoke(args=["odr", "backup", "--output", str(archive)])
    assert result.exit_code == 0, result.output

    with restoring(tmp_path / "restored", fresh_database_url, archive) as (_target, result):
        assert result.exit_code == 0, result.output
        for kind, (area, key) in named.items():
            assert b"".join(area_storage(area).iter_chunks(key)) == contents[kind], kind
