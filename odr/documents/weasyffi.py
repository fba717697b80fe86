"""Import WeasyPrint's C bindings (``weasyprint.text.ffi``) from a prebuilt cffi module.

Why: importing ``weasyprint.text.ffi`` the normal way costs about 300 ms of every new
process, most of a cold document's budget. Two things add up there:

* WeasyPrint's ``_dlopen`` tries several names per library (``libgobject-2.0-0``,
  ``gobject-2.0-0``, …) before the Linux soname. cffi's in-line ``FFI.dlopen`` answers
  every failed name with ``ctypes.util.find_library``, which starts ``ldconfig``, ``gcc``
  and ``ld`` subprocesses: ~22 calls, ~250 ms idle and much more on a busy machine.
* ``ffi.cdef`` parses 16 KB of C declarations with pycparser (~70 ms).

cffi's "out-of-line ABI mode" removes both: the declarations are compiled once into a
small pure-Python module (``set_source(name, None)`` + ``emit_python_code``), whose
``ffi`` loads in a few milliseconds, and whose ``dlopen`` calls the system ``dlopen``
directly (no ``find_library``). This module installs an import hook for that one
module name which executes WeasyPrint's own ``text/ffi.py`` with the two statements
``ffi = cffi.FFI()`` / ``ffi.cdef('''…''')`` replaced by that prebuilt ``ffi``; the rest
(the library names, ``g_type_init``, the unit constants) runs unchanged.

Safety:

* the prebuilt module is generated from the cdef string of the very ``ffi.py`` being
  imported, and its cache file is named after the SHA-256 of that file and the cffi
  version, so an upgrade of either builds a new one and never reuses a stale one;
* if the file no longer has the expected shape, the cache cannot be built or loaded, or
  executing the fast variant fails, the normal import runs and a warning is logged;
* ``ODR_WEASYPRINT_FAST_FFI=0`` turns the hook off (A/B benchmarks, diagnosis);
* :func:`state` tells which path was taken; the tests assert the fast one is.

The generated module is kept in the documents cache folder (caches.py). When that
folder is not writable the module is built in memory for this process only
(~70 ms instead of ~300 ms).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

from .caches import cache_dir

__all__ = ["FFI_MODULE", "ShapeError", "install", "split_cdef", "state"]

logger = logging.getLogger(__name__)

FFI_MODULE = "weasyprint.text.ffi"
_SEAL = "# odr-weasyffi sha256="
#: cffi.FFI methods that an out-of-line (prebuilt) FFI lacks
_INLINE_ONLY = frozenset({"cdef", "set_source", "verify", "include", "embedding_api", "set_unicode",
                          "compile", "emit_c_code", "emit_python_code", "distutils_extension"})
_lock = threading.Lock()
_state = "not imported"


class ShapeError(ValueError):
    """WeasyPrint's ffi.py no longer builds its FFI the way this hook expects."""


def state() -> str:
    """``"fast"``, ``"fallback: <reason>"``, ``"disabled"``, ``"imported before install"``
    or ``"not imported"``: how ``weasyprint.text.ffi`` was (or will be) imported."""
    if _state == "not imported" and FFI_MODULE in sys.modules:
        return "imported before install"
    return _state


def _enabled() -> bool:
    return os.environ.get("ODR_WEASYPRINT_FAST_FFI", "1").strip().lower() not in {"0", "false", "no", "off"}


def install() -> None:
    """Put the import hook in place, once, unless WeasyPrint's ffi is already imported.

    Cheap and idempotent: call it before anything imports WeasyPrint (the documents
    package does, when it is imported). The hook answers for ``weasyprint.text.ffi`` only and
    removes itself after that import.
    """
    global _state
    with _lock:
        if FFI_MODULE in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
            return
        if not _enabled():
            _state = "disabled"
            return
        sys.meta_path.insert(0, _Finder())


def split_cdef(source: bytes | str) -> tuple[str, ast.Module]:
    """Return (the C declarations, the module without the two FFI-building statements).

    Expects, at top level and exactly once, ``ffi = cffi.FFI()`` directly followed by
    ``ffi.cdef(<string literal>)``, and no other assignment to ``ffi``; raises
    :class:`ShapeError` otherwise. Line numbers of the remaining statements are kept,
    so tracebacks point into WeasyPrint's file as usual.
    """
    tree = ast.parse(source)
    body = tree.body
    found = [
        (index, cdef) for index in range(len(body) - 1)
        if _is_ffi_constructor(body[index]) and (cdef := _cdef_literal(body[index + 1])) is not None
    ]
    if len(found) != 1:
        raise ShapeError(f"expected one 'ffi = cffi.FFI()' + 'ffi.cdef(...)' pair, found {len(found)}")
    index, cdef = found[0]
    rest = body[:index] + body[index + 2:]
    for node in ast.walk(ast.Module(body=rest, type_ignores=[])):
        targets: Sequence[ast.AST] = ()
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = (node.target,)
        elif isinstance(node, ast.Global):
            targets = [ast.Name(id=name) for name in node.names]
        if any(isinstance(t, ast.Name) and t.id == "ffi" for t in targets):
            raise ShapeError("'ffi' is assigned again after it is built")
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ffi"
                and node.attr in _INLINE_ONLY):
            raise ShapeError(f"'ffi.{node.attr}' is used, which a prebuilt FFI does not have")
    return cdef, ast.Module(body=rest, type_ignores=tree.type_ignores)


def _is_ffi_constructor(node: ast.stmt) -> bool:
    """``ffi = cffi.FFI()`` with no arguments."""
    return (
        isinstance(node, ast.Assign) and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "ffi"
        and isinstance(node.value, ast.Call) and not node.value.args and not node.value.keywords
        and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "FFI"
        and isinstance(node.value.func.value, ast.Name) and node.value.func.value.id == "cffi"
    )


def _cdef_literal(node: ast.stmt) -> str | None:
    """The string of ``ffi.cdef('''...''')`` (one literal argument, no options), else None."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    call = node.value
    if not (isinstance(call.func, ast.Attribute) and call.func.attr == "cdef"
            and isinstance(call.func.value, ast.Name) and call.func.value.id == "ffi"):
        return None
    if len(call.args) != 1 or call.keywords or not isinstance(call.args[0], ast.Constant):
        return None
    value = call.args[0].value
    return value if isinstance(value, str) else None


@dataclass
class _Plan:
    """Everything the loader needs, prepared (and checked) before the import commits."""

    origin: str
    source: bytes
    code: CodeType
    ffi: Any


def _module_name(source: bytes) -> str:
    import cffi

    digest = hashlib.sha256(source).hexdigest()[:20]
    version = "".join(c if c.isalnum() else "_" for c in cffi.__version__)
    return f"_odr_weasyffi_{digest}_cffi{version}"


def _generate(name: str, cdef: str) -> str:
    """The source of the out-of-line module ``name`` declaring ``cdef`` (cffi's public API)."""
    import io

    import cffi

    builder = cffi.FFI()
    builder.cdef(cdef)
    builder.set_source(name, None, compiler_verbose=False)
    text = io.StringIO()
    builder.emit_python_code(text)
    body = text.getvalue()
    return f"{body}{_SEAL}{hashlib.sha256(body.encode()).hexdigest()}\n"


def _unsealed(text: str) -> str:
    """The generated source without its checksum line; ImportError if that does not match
    (a truncated or edited cache file is never executed)."""
    body, sep, digest = text.rpartition(_SEAL)
    if not sep or hashlib.sha256(body.encode()).hexdigest() != digest.strip():
        raise ImportError("checksum mismatch")
    return body


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: aside in the same folder, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from other service users
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _load_prebuilt(name: str, path: Path, text: str | None = None) -> Any:
    """The ``ffi`` of the generated module at ``path`` (or of ``text``, for an unwritable
    cache); the module is not registered in sys.modules."""
    import _cffi_backend

    module = ModuleType(name)
    module.__file__ = str(path)
    if text is None:
        text = path.read_text(encoding="utf-8")
    exec(compile(_unsealed(text), str(path), "exec", dont_inherit=True), module.__dict__)  # noqa: S102 (generated by cffi)
    ffi = getattr(module, "ffi", None)
    if not isinstance(ffi, _cffi_backend.FFI):
        raise ImportError(f"{path} does not define an out-of-line FFI")
    return ffi


def _prebuilt_ffi(source: bytes, cdef: str) -> Any:
    """The out-of-line ``ffi`` for this source: from the cache, else generated (and cached)."""
    name = _module_name(source)
    path = cache_dir() / f"{name}.py"
    if path.is_file():
        try:
            return _load_prebuilt(name, path)
        except Exception as exc:  # noqa: BLE001 (a damaged cache file, whatever the error: rebuild)
            logger.warning("WeasyPrint ffi cache %s unusable (%s); rebuilding it", path, exc)
    text = _generate(name, cdef)
    try:
        _write(path, text)
    except OSError as exc:
        logger.warning("WeasyPrint ffi cache %s not writable (%s); built for this process only", path, exc)
    return _load_prebuilt(name, path, text)


def _prepare(path: Sequence[str] | None) -> _Plan:
    spec = importlib.machinery.PathFinder.find_spec(FFI_MODULE, path)
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        raise ShapeError(f"{FFI_MODULE} is not a plain source module here")
    source = Path(spec.origin).read_bytes()
    cdef, rest = split_cdef(source)
    code = compile(rest, spec.origin, "exec", dont_inherit=True)
    return _Plan(spec.origin, source, code, _prebuilt_ffi(source, cdef))


class _Finder(importlib.abc.MetaPathFinder):
    """Answers for ``weasyprint.text.ffi`` once; every other name goes to the next finder."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None,
                  ) -> importlib.machinery.ModuleSpec | None:
        global _state
        if fullname != FFI_MODULE:
            return None
        with _lock:
            if self in sys.meta_path:
                sys.meta_path.remove(self)
        try:
            plan = _prepare(path)
        except Exception as exc:  # noqa: BLE001 (any failure: the normal import instead)
            _state = f"fallback: {type(exc).__name__}: {exc}"
            logger.warning("fast WeasyPrint ffi not used, importing it the slow way: %s", _state)
            return None
        return importlib.util.spec_from_file_location(fullname, plan.origin, loader=_Loader(plan))


class _Loader(importlib.abc.Loader):
    """Runs WeasyPrint's ffi.py minus its FFI construction, with the prebuilt ``ffi``."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        global _state
        initial = dict(module.__dict__)
        module.__dict__["ffi"] = self.plan.ffi
        try:
            exec(self.plan.code, module.__dict__)  # noqa: S102 (WeasyPrint's own code, see split_cdef)
        except Exception as exc:  # noqa: BLE001 (any failure: the normal import instead)
            _state = f"fallback: {type(exc).__name__}: {exc}"
            logger.warning("fast WeasyPrint ffi failed, importing it the slow way: %s", _state)
            module.__dict__.clear()
            module.__dict__.update(initial)
            exec(compile(self.plan.source, self.plan.origin, "exec", dont_inherit=True), module.__dict__)  # noqa: S102
            return
        _state = "fast"
