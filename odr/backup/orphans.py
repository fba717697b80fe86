"""Removing stored files that no row names (`flask odr sweep-files`, and a daily job).

Why such files exist: every writer stores the file first (a part file renamed into place,
or an S3 upload) and commits the row that names it afterwards, so a row never points at a
missing file. A hard kill (SIGKILL, power loss) between the two, a transaction that rolls
back after its file was written (a document issued inside a failed transaction), or a
failed clean-up of a replaced mediator photo leaves a committed file nothing names. It is
never shown or served; it only takes space, for ever. (Part files of uploads cut off
mid-way are another matter: ``FileSystemStorage.sweep_parts``.)

How the sweep stays safe:

* Age first. Only files older than the grace period (default 24 h, never under 1 h) are
  judged. A live request is between its write and its commit for seconds; a file that old
  whose row has not committed never will have one. On S3 a multipart upload's object is
  dated when the upload *began*, so the grace must also exceed the longest upload.
* List, then read. Each storage is listed one two-character key prefix at a time (so
  memory holds one prefix's worth), and only then are the rows naming keys of that prefix
  read. A file written after its prefix was listed is never considered.
* Every column that names a stored file, in either area, counts for every area
  (``odr.backup.stored_files``, the list backup uses): a key named anywhere is kept.
* Just before deleting, an exact-match query confirms again that no row names the key.
  The prefix query uses a range, whose meaning depends on the column's collation;
  equality does not.
* A wrong database must not empty the storage: when more than half of the files judged
  (and more than ``GUARD_MIN``) look unreferenced, nothing is deleted and the run says so.
* Each deletion is logged; one that fails is logged and counted and the sweep goes on. A
  real run records one audit event with counts only; a dry run records nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from sqlalchemy import Select, select, union_all

from odr.audit.services import record
from odr.backup.stored_files import AREAS, area_storage, sql_columns
from odr.core.storage import FileSystemStorage, S3Storage, Storage, StoredFile
from odr.core.time import now
from odr.extensions import db

log = logging.getLogger("odr.backup.orphans")

DEFAULT_GRACE = timedelta(hours=24)
MIN_GRACE = timedelta(hours=1)
#: refuse when more than this share of the judged files look unreferenced …
GUARD_SHARE = 0.5
#: … and there are more than this many of them (a small store may lose a few to crashes)
GUARD_MIN = 20
#: files removed per run at most; the rest wait for the next run (bounds memory and time)
MAX_PER_RUN = 100_000
_CONFIRM_BATCH = 200
_PREFIXES = [f"{i:02x}" for i in range(256)]


@dataclass
class Orphan:
    area: str
    file: StoredFile
    storage: Storage
    #: "found" (a dry run), "deleted" or "failed"
    outcome: str = "found"


@dataclass
class AreaCount:
    judged: int = 0
    orphans: int = 0
    deleted: int = 0
    failed: int = 0
    bytes_freed: int = 0


@dataclass
class SweepReport:
    older_than: timedelta
    dry_run: bool
    orphans: list[Orphan] = field(default_factory=list)
    areas: dict[str, AreaCount] = field(default_factory=dict)
    refused: str | None = None
    capped: bool = False

    def total(self, name: str) -> int:
        return sum(getattr(count, name) for count in self.areas.values())

    def counts(self) -> dict[str, object]:
        """What the audit event keeps: numbers, never keys or names."""
        return {"older_than_hours": self.older_than.total_seconds() / 3600,
                "refused": self.refused is not None, "capped": self.capped,
                **{name: self.total(name) for name in ("judged", "orphans", "deleted", "failed", "bytes_freed")},
                "areas": {area: asdict(count) for area, count in self.areas.items()}}


def sweep_orphans(older_than: timedelta = DEFAULT_GRACE, *, dry_run: bool = False) -> SweepReport:
    """Find stored files older than ``older_than`` that no row names, and delete them
    (``dry_run``: only report). Commits its audit event; see the module's notes."""
    if older_than < MIN_GRACE:
        raise ValueError(f"the grace period must be at least {MIN_GRACE}")
    report = SweepReport(older_than, dry_run)
    cutoff = now() - older_than
    for area, storage in _areas():
        count = report.areas.setdefault(area, AreaCount())
        for prefix in _PREFIXES:
            old = [f for f in storage.iter_files(prefix) if f.modified < cutoff]
            if not old:
                continue
            named = _named_in_range(prefix, prefix + "g")  # hex digits sort below "g"
            count.judged += len(old)
            found = [Orphan(area, f, storage) for f in old if f.key not in named]
            count.orphans += len(found)
            report.orphans.extend(found)
            if _suspicious(report):
                return _refuse(report)
            if len(report.orphans) >= MAX_PER_RUN:
                report.capped = True
                break
        if report.capped:
            break
    _remove(report)
    if not dry_run:
        _record(report)
    return report


def _areas() -> Iterator[tuple[str, Storage]]:
    """Each storage place once: on S3 the documents share the evidence bucket, which is
    then listed (and counted) once, as "evidence"."""
    seen: set[tuple[str, str]] = set()
    for area in AREAS:
        storage = area_storage(area)
        place = _place(storage)
        if place not in seen:
            seen.add(place)
            yield area, storage


def _place(storage: Storage) -> tuple[str, str]:
    if isinstance(storage, FileSystemStorage):
        return "fs", str(storage.root.resolve())
    if isinstance(storage, S3Storage):
        return "s3", f"{storage.client.meta.endpoint_url}/{storage.bucket}"
    return "object", str(id(storage))


def _keys(query_parts: list[Select]) -> set[str]:
    with db.engine.connect() as conn:  # a short transaction of its own, ended at once
        return set(conn.execute(union_all(*query_parts)).scalars())


def _named_in_range(low: str, high: str) -> set[str]:
    """Keys in ``[low, high)`` that any row names."""
    return _keys([select(col.label("key")).where(col >= low, col < high) for col in sql_columns()])


def _named(keys: Iterable[str]) -> set[str]:
    """Which of ``keys`` any row names, by equality."""
    keys = list(keys)
    return _keys([select(col.label("key")).where(col.in_(keys)) for col in sql_columns()])


def _suspicious(report: SweepReport) -> bool:
    orphans, judged = report.total("orphans"), report.total("judged")
    return orphans > GUARD_MIN and orphans > GUARD_SHARE * judged


def _refuse(report: SweepReport) -> SweepReport:
    report.refused = (f"{report.total('orphans')} of {report.total('judged')} files judged so far are named by "
                      "no row: is this the right database? Nothing was deleted.")
    log.error("orphan sweep refused: %s", report.refused)
    report.orphans = []
    if not report.dry_run:
        _record(report)
    return report


def _remove(report: SweepReport) -> None:
    """Confirm each orphan by equality, then delete it (unless a dry run)."""
    kept: list[Orphan] = []
    for start in range(0, len(report.orphans), _CONFIRM_BATCH):
        batch = report.orphans[start:start + _CONFIRM_BATCH]
        named = _named(o.file.key for o in batch)
        for orphan in batch:
            count = report.areas[orphan.area]
            if orphan.file.key in named:  # the range query missed it: keep, and say so
                count.orphans -= 1
                log.warning("stored file %s/%s is named by a row after all; kept", orphan.area, orphan.file.key)
                continue
            kept.append(orphan)
            if report.dry_run:
                continue
            try:
                orphan.storage.delete(orphan.file.key)
            except Exception:  # noqa: BLE001 - one file that cannot go must not stop the rest
                orphan.outcome = "failed"
                count.failed += 1
                log.exception("could not delete orphan file %s/%s", orphan.area, orphan.file.key)
                continue
            orphan.outcome = "deleted"
            count.deleted += 1
            count.bytes_freed += orphan.file.size
            log.warning("deleted orphan file %s/%s (%d bytes, written %s): no row names it",
                        orphan.area, orphan.file.key, orphan.file.size, orphan.file.modified.isoformat())
    report.orphans = kept


def _record(report: SweepReport) -> None:
    record("storage.sweep", object_type="storage", after=report.counts())
    db.session.commit()
