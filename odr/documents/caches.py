"""Where the documents room keeps derived files that make a new process start faster.

Two caches, both rebuilt on demand and safe to delete at any time:

* ``weasyffi`` writes WeasyPrint's C declarations compiled by cffi (see weasyffi.py);
* Jinja writes the compiled document templates (``FileSystemBytecodeCache``), which
  turns ~20 ms of template compiling in each new process into ~1 ms of loading.
  Jinja keys each entry by the template's source checksum and the Python version.

The folder is ``$ODR_CACHE_DIR`` or ``cache`` in the instance folder
(``odr.config.instance_path()``: ``$ODR_INSTANCE_PATH``, by default ``instance/``,
gitignored). When it cannot be created the caches are simply not used.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from jinja2 import BytecodeCache, FileSystemBytecodeCache

from odr.config import instance_path

__all__ = ["cache_dir", "jinja_bytecode_cache"]

logger = logging.getLogger(__name__)

def cache_dir() -> Path:
    """The cache folder: ``$ODR_CACHE_DIR`` or the instance folder's ``cache``."""
    return Path(os.environ.get("ODR_CACHE_DIR") or instance_path() / "cache")


def jinja_bytecode_cache() -> BytecodeCache | None:
    """A bytecode cache for the documents' Jinja environment, or None if the folder
    cannot be made (templates are then compiled in each process, as without it)."""
    folder = cache_dir() / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        logger.warning("document template cache %s unavailable: %s", folder, exc)
        return None
    return FileSystemBytecodeCache(str(folder), pattern="odr-%s.cache")
