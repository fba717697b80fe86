"""Which columns name stored files, and where those files live: the one list that backup,
restore and the orphan sweep share.

Two storage areas:

* ``evidence`` — the main storage (``odr.core.storage.get_storage``): evidence items
  (session recordings are filed as evidence too), drawn signature images, mediator photos;
* ``documents`` — issued PDFs (``odr.documents.services.documents_storage``: a folder of
  their own, or the same S3 bucket as evidence).

A new column that holds a storage key must be added to ``FILE_COLUMNS``: a backup would
leave its files out, and the orphan sweep would delete them as unreferenced.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column

from odr.core.storage import Storage, get_storage
from odr.extensions import db

AREAS = ("evidence", "documents")


@dataclass(frozen=True)
class FileColumn:
    """``table.column`` holds the key of a file in ``area``; ``sha256_column``, where the
    row has one, records the file's hash (backup checks it on restore). ``replaceable``:
    the app deletes the old file as soon as a new one is committed (a mediator's photo), so
    a file a backup's snapshot named may be gone by the time it is copied."""

    table: str
    column: str
    area: str
    sha256_column: str | None = None
    replaceable: bool = False


FILE_COLUMNS: tuple[FileColumn, ...] = (
    FileColumn("evidence", "storage_key", "evidence", "sha256"),
    FileColumn("signature", "image_key", "evidence"),
    FileColumn("mediator_profile", "photo_key", "evidence", replaceable=True),
    FileColumn("document", "storage_key", "documents", "sha256"),
)


def columns_of(table: str) -> tuple[FileColumn, ...]:
    return tuple(fc for fc in FILE_COLUMNS if fc.table == table)


def sql_columns() -> list[Column]:
    """The columns themselves; a table or column missing from the models raises (KeyError),
    so nothing runs with an incomplete list."""
    return [db.metadata.tables[fc.table].c[fc.column] for fc in FILE_COLUMNS]


def area_storage(area: str) -> Storage:
    if area == "documents":
        from odr.documents.services import documents_storage

        return documents_storage()
    if area == "evidence":
        return get_storage()
    raise ValueError(f"unknown storage area {area!r}")
