"""A consistent copy of the database and the stored files, and its restore.

Format: a tar file with ``manifest.json``, one ``tables/<name>.jsonl`` per table (rows as
JSON with typed values) and ``files/<area>/<key>`` for every file a row names (the columns
are listed in ``odr.backup.stored_files``).

Consistency: every table is read inside one snapshot (PostgreSQL: REPEATABLE READ, READ
ONLY; SQLite: one read transaction in WAL mode), so the rows agree with each other. Files
are copied after the snapshot; stored files are never changed, and deleted only where
``stored_files`` marks the column replaceable (a mediator's replaced photo) or by the
orphan sweep (day-old files that no row names): evidence is withdrawn, not removed, and a
document is reissued under a new key. So every key the snapshot references is present —
unless a photo was replaced meanwhile, and then the snapshot is taken again — and keys
written after it are simply not referenced.

Restore goes into an empty instance (schema at the current migration, no rows): rows in
foreign-key order with constraint checks deferred, sequences reset, then every stored
file's SHA-256 is checked against its row and the audit chain is verified.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, text

from odr.backup.stored_files import area_storage, columns_of
from odr.core.time import iso, now
from odr.extensions import db

log = logging.getLogger("odr.backup")

FORMAT = "odr-backup/1"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": iso(value) if value.tzinfo else value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (tag, raw), = value.items()
        if tag == "$dt":
            return datetime.fromisoformat(raw)
        if tag == "$date":
            return date.fromisoformat(raw)
        if tag == "$time":
            return time.fromisoformat(raw)
        if tag == "$dec":
            return Decimal(raw)
        if tag == "$b64":
            return base64.b64decode(raw)
    return value


def _tables() -> list[Table]:
    return list(db.metadata.sorted_tables)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def _evidence_chunks(key: str) -> Iterator[bytes]:
    from odr.core.storage import get_storage

    yield from get_storage().iter_chunks(key)


def _document_bytes(row: dict[str, Any]) -> bytes:
    from odr.documents.models import Document
    from odr.documents.services import read_bytes

    return read_bytes(Document(storage_key=row["storage_key"]))


@dataclass
class BackupReport:
    path: Path
    rows: dict[str, int]
    files: int
    bytes: int


#: a snapshot whose replaceable file vanished before it was copied is taken again this often
SNAPSHOT_ATTEMPTS = 3


class _SnapshotMoved(Exception):
    """A file the snapshot named was replaced (and deleted) before it could be copied."""


def create_backup(path: Path, after_snapshot: Callable[[], None] | None = None) -> BackupReport:
    """Write a consistent backup to ``path`` (a .tar file).

    The tables are read in one transaction, then the files they name are copied. A mediator
    replacing a photo in between deletes the file the snapshot names; the snapshot is then
    taken again (``SNAPSHOT_ATTEMPTS``) rather than failing the backup or writing an archive
    that names a missing file. ``after_snapshot`` runs between the two steps (tests use it to
    make that happen deterministically).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, SNAPSHOT_ATTEMPTS + 1):
        try:
            return _write_backup(path, after_snapshot)
        except _SnapshotMoved as moved:
            if attempt == SNAPSHOT_ATTEMPTS:
                raise RuntimeError(f"stored files kept changing during the backup: {moved}") from None
            log.info("backup: %s was replaced during the snapshot; taking it again", moved)
    raise AssertionError("unreachable")


def _write_backup(path: Path, after_snapshot: Callable[[], None] | None) -> BackupReport:
    rows: dict[str, int] = {}
    file_refs: list[tuple[str, str, str]] = []  # (area, key, sha256)
    replaceable: set[tuple[str, str]] = set()
    tmp = path.with_suffix(path.suffix + ".part")
    conn = db.engine.connect()
    try:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            trans = conn.begin()
            conn.execute(text("SET TRANSACTION READ ONLY"))
        else:
            trans = conn.begin()
        with tarfile.open(tmp, "w") as tar:
            for table in _tables():
                buf = io.BytesIO()
                count = 0
                pk = list(table.primary_key.columns)
                for row in conn.execute(select(table).order_by(*pk)).mappings():
                    buf.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False).encode())
                    buf.write(b"\n")
                    count += 1
                    for ref in columns_of(table.name):
                        if row[ref.column]:  # without a recorded hash (drawn signatures, photos): hashed when copied
                            sha = row[ref.sha256_column] if ref.sha256_column else ""
                            file_refs.append((ref.area, row[ref.column], sha))
                            if ref.replaceable:
                                replaceable.add((ref.area, row[ref.column]))
                rows[table.name] = count
                _add_bytes(tar, f"tables/{table.name}.jsonl", buf.getvalue())
            trans.rollback()
            if after_snapshot is not None:
                after_snapshot()
            total = 0
            for i, (area, key, sha) in enumerate(file_refs):
                if (area, key) in replaceable and not area_storage(area).exists(key):
                    raise _SnapshotMoved(f"{area}/{key}")
                if area == "evidence":
                    data = b"".join(_evidence_chunks(key))
                else:
                    data = _document_bytes({"storage_key": key})
                if not sha:
                    file_refs[i] = (area, key, hashlib.sha256(data).hexdigest())
                total += len(data)
                _add_bytes(tar, f"files/{area}/{key}", data)
            revision = _alembic_revision(conn)
            manifest = {"format": FORMAT, "created_at": iso(now()), "dialect": conn.dialect.name,
                        "alembic_revision": revision, "rows": rows,
                        "files": [{"area": a, "key": k, "sha256": s} for a, k, s in file_refs]}
            _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        conn.close()
    tmp.replace(path)
    return BackupReport(path, rows, len(file_refs), total)


def _alembic_revision(conn: Any) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - a test database built without Alembic has no version table
        conn.rollback() if conn.in_transaction() else None
        return None


@dataclass
class RestoreReport:
    rows: dict[str, int]
    files: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class RestoreRefused(Exception):
    pass


def restore_backup(path: Path) -> RestoreReport:
    """Restore ``path`` into this (empty) instance, then verify hashes and the audit chain."""
    from odr.audit.services import verify_chain

    with tarfile.open(path, "r") as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
        if manifest.get("format") != FORMAT:
            raise RestoreRefused(f"not an ODR backup ({manifest.get('format')!r})")
        tables = _tables()
        for table in tables:
            if db.session.execute(select(func.count()).select_from(table)).scalar_one():
                raise RestoreRefused(f"the target instance is not empty (table {table.name} has rows)")
        db.session.rollback()
        restored: dict[str, int] = {}
        with db.engine.begin() as conn:
            # rows are copied as they were: no write hook may derive rows of its own
            conn = conn.execution_options(odr_raw_copy=True)
            pg = conn.dialect.name == "postgresql"
            if pg:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for table in tables:
                member = tar.extractfile(f"tables/{table.name}.jsonl")
                if member is None:
                    continue
                batch = [{k: _decode(v) for k, v in json.loads(line).items()}
                         for line in member.read().splitlines() if line.strip()]
                if batch:
                    conn.execute(table.insert(), batch)
                restored[table.name] = len(batch)
            if pg:
                for table in tables:
                    for col in table.primary_key.columns:
                        if col.autoincrement is True or (col.autoincrement == "auto" and col.type.python_type is int):
                            conn.execute(text(
                                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{col.name}'), "
                                f"COALESCE((SELECT MAX(\"{col.name}\") FROM \"{table.name}\"), 0) + 1, false)"))
        problems: list[str] = []
        count = 0
        for ref in manifest["files"]:
            member = tar.extractfile(f"files/{ref['area']}/{ref['key']}")
            if member is None:
                problems.append(f"{ref['area']}/{ref['key']}: missing from the backup")
                continue
            data = member.read()
            if hashlib.sha256(data).hexdigest() != ref["sha256"]:
                problems.append(f"{ref['area']}/{ref['key']}: hash mismatch in the backup")
            _store(ref["area"], ref["key"], data)
            count += 1
    problems.extend(verify_files())
    chain = verify_chain()
    if not chain.ok:
        problems.append(f"audit chain broken at event {chain.broken_id}: {chain.problem}")
    return RestoreReport(restored, count, problems)


def _store(area: str, key: str, data: bytes) -> None:
    area_storage(area).put(key, data)  # under its original key: the restored rows name it


def verify_files() -> list[str]:
    """Check every evidence item's and document's stored bytes against its SHA-256."""
    from odr.documents.models import Document
    from odr.evidence.models import Evidence

    problems = []
    for ev in db.session.execute(select(Evidence)).scalars():
        digest = hashlib.sha256()
        try:
            for chunk in _evidence_chunks(ev.storage_key):
                digest.update(chunk)
        except OSError:
            problems.append(f"evidence {ev.id}: file missing")
            continue
        if digest.hexdigest() != ev.sha256:
            problems.append(f"evidence {ev.id}: hash mismatch")
    for doc in db.session.execute(select(Document)).scalars():
        try:
            data = _document_bytes({"storage_key": doc.storage_key})
        except Exception:  # noqa: BLE001 - NotFound or OSError: report, keep checking
            problems.append(f"document {doc.id}: file missing")
            continue
        if hashlib.sha256(data).hexdigest() != doc.sha256:
            problems.append(f"document {doc.id}: hash mismatch")
    return problems
