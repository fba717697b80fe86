"""Where uploaded bytes live: one interface, the local filesystem or S3-compatible storage.

Writes are streamed: ``begin()`` returns a writer that takes chunks and is either
committed under a random key or aborted, leaving nothing behind. Keys are random and
never derived from user input; files sit outside any folder the web server serves.
Chosen by ``ODR_STORAGE`` (``local`` or ``s3``).
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import secrets
import stat
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from flask import Flask, current_app

from odr.core.errors import StorageFull

log = logging.getLogger("odr.storage")

CHUNK = 1024 * 1024
#: a part file younger than this is never swept: it may have been created a moment ago
#: by a writer that has not taken its lock yet
PART_MIN_AGE_SECONDS = 2.0
#: how often a running process looks for parts left by a crashed one
PART_SWEEP_INTERVAL_SECONDS = 600.0
_FULL = (errno.ENOSPC, errno.EDQUOT)


def new_key() -> str:
    return secrets.token_hex(20)


@dataclass(frozen=True)
class StoredFile:
    """A committed file as a listing sees it; ``modified`` is aware UTC."""

    key: str
    size: int
    modified: datetime


class Writer(ABC):
    """A streaming write in progress; ``commit`` returns the key, ``abort`` discards."""

    key: str

    @abstractmethod
    def write(self, chunk: bytes) -> None:
        ...

    @abstractmethod
    def commit(self) -> str:
        ...

    @abstractmethod
    def abort(self) -> None:
        ...


class Storage(ABC):
    """The storage interface (see CTFd's uploaders: one interface, several back ends)."""

    @abstractmethod
    def begin(self) -> Writer:
        ...

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        ...

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under a known key (restoring a backup keeps the original keys)."""
        _check_key(key)
        writer = self.begin()
        writer.key = key
        try:
            writer.write(data)
            writer.commit()
        except BaseException:
            writer.abort()
            raise

    def iter_chunks(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        with self.open(key) as fh:
            while True:
                block = fh.read(chunk_size)
                if not block:
                    return
                yield block

    @abstractmethod
    def exists(self, key: str) -> bool:
        ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Only for bytes no record refers to (an aborted or rolled-back upload)."""
        ...

    @abstractmethod
    def iter_files(self, prefix: str = "") -> Iterator[StoredFile]:
        """Committed files whose key starts with ``prefix`` (for the orphan sweep).

        Uploads still in progress are not listed, nor anything whose name is not a
        storage key: what this storage did not write is never offered for deletion.
        """
        ...


def _is_key(key: str) -> bool:
    return bool(key) and all(c in "0123456789abcdef" for c in key)


def _check_key(key: str) -> str:
    if not _is_key(key):
        raise ValueError("bad storage key")
    return key


class _FileWriter(Writer):
    """Writes ``tmp/<key>.part`` and renames it into place on commit.

    The part file is ``flock``-ed for as long as it is written: a process killed
    mid-upload loses the lock with its file descriptors, which is how
    ``FileSystemStorage.sweep_parts`` tells a dead upload's leftover from a live one in
    another worker. A full disk (ENOSPC, EDQUOT) becomes ``StorageFull`` (507) after the
    part is removed, so the caller sees a clear error and nothing half-written remains.
    """

    def __init__(self, storage: FileSystemStorage) -> None:
        self.storage = storage
        self.key = new_key()
        self.tmp = storage.tmp_dir / f"{self.key}.part"
        try:
            self.fh: BinaryIO | None = open(self.tmp, "xb")  # noqa: SIM115 - closed in commit/abort
        except OSError as exc:
            raise _full_or(exc) from None
        fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def write(self, chunk: bytes) -> None:
        assert self.fh is not None
        try:
            self.fh.write(chunk)
        except OSError as exc:
            self.abort()
            raise _full_or(exc) from None

    def commit(self) -> str:
        assert self.fh is not None
        try:
            self.fh.flush()
            os.fsync(self.fh.fileno())
        except OSError as exc:
            self.abort()
            raise _full_or(exc) from None
        self.fh.close()
        self.fh = None
        final = self.storage.path(self.key)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.tmp, final)
        return self.key

    def abort(self) -> None:
        if self.fh is not None:
            fh, self.fh = self.fh, None
            try:
                fh.close()  # flushes what is buffered: on a full disk that raises again
            except OSError:
                pass
        self.tmp.unlink(missing_ok=True)


def _full_or(exc: OSError) -> Exception:
    """A full disk is the operator's problem, not a bug: say so clearly (507)."""
    if exc.errno in _FULL:
        log.error("evidence storage is full: %s", exc)
        from flask_babel import lazy_gettext as _l

        return StorageFull(_l("The evidence storage is full. Nothing was saved; please try again later "
                              "or tell the platform administrator."))
    return exc


class FileSystemStorage(Storage):
    """Files under ``root/ab/<key>``; partial uploads in ``root/tmp`` until committed."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self._last_sweep = 0.0

    def path(self, key: str) -> Path:
        key = _check_key(key)
        return self.root / key[:2] / key

    def begin(self) -> Writer:
        if time.monotonic() - self._last_sweep > PART_SWEEP_INTERVAL_SECONDS:
            self.sweep_parts()
        return _FileWriter(self)

    def sweep_parts(self) -> int:
        """Remove part files of uploads whose process died (killed mid-upload).

        Run at start-up and now and then by a running process. A part whose lock can be
        taken has no live writer in any process on this machine; one younger than
        ``PART_MIN_AGE_SECONDS`` is left alone. Returns how many were removed.
        """
        self._last_sweep = time.monotonic()
        removed = 0
        for part in self.tmp_dir.glob("*.part"):
            try:
                if time.time() - part.stat().st_mtime < PART_MIN_AGE_SECONDS:
                    continue
                with open(part, "rb") as fh:
                    try:
                        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # a live upload in some worker
                    part.unlink(missing_ok=True)
                    removed += 1
            except FileNotFoundError:
                continue
        if removed:
            log.warning("removed %d part file(s) left by interrupted uploads", removed)
        return removed

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")  # noqa: SIM115 - the caller closes

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def iter_files(self, prefix: str = "") -> Iterator[StoredFile]:
        """Files at ``root/ab/<key>``; ``tmp/`` (parts) and stray names are skipped.

        The date is the file's mtime: the last write of its part file, since the rename
        into place keeps it."""
        if prefix:
            _check_key(prefix)
        head = prefix[:2]
        if len(head) == 2:
            folders = [self.root / head]
        else:
            folders = sorted(p for p in self.root.iterdir() if len(p.name) == 2 and _is_key(p.name)
                             and p.name.startswith(head))
        for folder in folders:
            try:
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                key = entry.name
                if not (key.startswith(prefix) and key[:2] == folder.name and _is_key(key)):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # deleted since the folder was read
                if stat.S_ISREG(info.st_mode):
                    yield StoredFile(key, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def leftovers(self) -> list[Path]:
        """Files in the storage area (tests check an aborted upload left none)."""
        return [p for p in self.root.rglob("*") if p.is_file()]


class _S3Writer(Writer):
    """S3 multipart upload in parts of ``part_size`` bytes (memory stays one part)."""

    def __init__(self, storage: S3Storage) -> None:
        self.storage = storage
        self.key = new_key()
        self.buffer = bytearray()
        self.parts: list[dict[str, Any]] = []
        self.upload_id: str | None = None

    def _flush_part(self) -> None:
        s3, bucket = self.storage.client, self.storage.bucket
        if self.upload_id is None:
            self.upload_id = s3.create_multipart_upload(Bucket=bucket, Key=self.key)["UploadId"]
        number = len(self.parts) + 1
        resp = s3.upload_part(Bucket=bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number,
                              Body=bytes(self.buffer))
        self.parts.append({"PartNumber": number, "ETag": resp["ETag"]})
        self.buffer.clear()

    def write(self, chunk: bytes) -> None:
        self.buffer.extend(chunk)
        if len(self.buffer) >= self.storage.part_size:
            self._flush_part()

    def commit(self) -> str:
        s3, bucket = self.storage.client, self.storage.bucket
        if self.upload_id is None:
            s3.put_object(Bucket=bucket, Key=self.key, Body=bytes(self.buffer))
        else:
            if self.buffer:
                self._flush_part()
            s3.complete_multipart_upload(Bucket=bucket, Key=self.key, UploadId=self.upload_id,
                                         MultipartUpload={"Parts": self.parts})
        self.buffer.clear()
        return self.key

    def abort(self) -> None:
        self.buffer.clear()
        if self.upload_id is not None:
            self.storage.client.abort_multipart_upload(Bucket=self.storage.bucket, Key=self.key,
                                                       UploadId=self.upload_id)
            self.upload_id = None


class S3Storage(Storage):
    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 client: Any = None, part_size: int = 8 * 1024 * 1024) -> None:
        if client is None:
            import boto3

            client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        self.client = client
        self.bucket = bucket
        self.part_size = max(part_size, 5 * 1024 * 1024)

    def begin(self) -> Writer:
        return _S3Writer(self)

    def open(self, key: str) -> BinaryIO:
        return self.client.get_object(Bucket=self.bucket, Key=_check_key(key))["Body"]

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=_check_key(key))
        except Exception:  # noqa: BLE001 - botocore raises ClientError for 404
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_check_key(key))

    def iter_files(self, prefix: str = "") -> Iterator[StoredFile]:
        """``list_objects_v2``, page by page. Multipart uploads not yet completed are not
        objects, so they are not listed; a completed one is dated when it *began*."""
        if prefix:
            _check_key(prefix)
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", ()):
                if _is_key(obj["Key"]):
                    yield StoredFile(obj["Key"], int(obj["Size"]), obj["LastModified"].astimezone(UTC))


def build_storage(app: Flask) -> Storage:
    if app.config.get("STORAGE") == "s3":
        return S3Storage(app.config["S3_BUCKET"], endpoint_url=app.config.get("S3_ENDPOINT_URL"),
                         region=app.config.get("S3_REGION"))
    return FileSystemStorage(app.config["STORAGE_PATH"])


def get_storage() -> Storage:
    """The app's storage, built once per app."""
    ext = current_app.extensions
    if "odr_storage" not in ext:
        ext["odr_storage"] = build_storage(current_app._get_current_object())  # type: ignore[attr-defined]
    return ext["odr_storage"]
