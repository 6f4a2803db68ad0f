"""The on-disk cache of compiled rule sets: the loader's other half.

A new ``kb`` process reads one pickle instead of parsing and validating YAML. Three files
per rule set, under a key hashed from everything the compiled form depends on
(``fingerprint``):

- ``rules-KEY.pickle``: the fingerprint, then the compiled rules without pages or cause
  texts; its causes, signatures and probes are ``LazyList``s, built only when read;
- ``pages-KEY.pickle``: the runbook pages, read on first use (``LazyPages``);
- ``texts-KEY.pickle``: each cause's explanation, fix and verify steps, one small pickle
  per cause read when a report shows that cause (``CauseTexts``).
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .lazy import LazyList

if TYPE_CHECKING:
    from .compiled import CauseText, CompiledRules

CACHE_FORMAT = "kb-cache-6"


def fingerprint(files: list[str], hyperscan: bool) -> str:
    """What the compiled form depends on: kb's version and engine code, the backend, and
    every rule file's path, size and mtime (a new, removed, edited or touched file
    changes it)."""
    from . import __version__

    out = [f"{CACHE_FORMAT}|{sys.version}|{hyperscan}|{__version__}"]
    engine = os.path.dirname(os.path.abspath(__file__))
    with os.scandir(engine) as it:  # any change to the engine's code invalidates the cache
        for entry in sorted(it, key=lambda e: e.name):
            if entry.name.endswith(".py"):
                st = entry.stat()
                out.append(f"{entry.name}|{st.st_size}|{st.st_mtime_ns}")
    stat, isabs = os.stat, os.path.isabs
    cwd = os.getcwd() + os.sep
    for f in files:
        st = stat(f)
        out.append(f"{f if isabs(f) else cwd + f}|{st.st_size}|{st.st_mtime_ns}")
    return "\n".join(out)


def cache_key(fingerprint: str) -> str:
    try:  # CPython's own SHA-256: hashlib loads OpenSSL, ~3 ms of every start
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - builds without it (3.12 calls it _sha2)
        from hashlib import sha256
    return str(sha256(fingerprint.encode("utf-8", "surrogateescape")).hexdigest()[:32])


class LazyPages(Mapping[str, dict[str, Any]]):
    """The runbook pages of a cached rule set, unpickled on first use: diagnosing never
    reads them, so a new process does not pay for them."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._pages: dict[str, dict[str, Any]] | None = None

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._pages is None:
            with self._path.open("rb") as fh:
                self._pages = pickle.load(fh)
        return self._pages

    def __getitem__(self, key: str) -> dict[str, Any]:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (self._load(),))


class CauseTexts:
    """The explanation, fix and verify steps of a cached rule set's causes, kept out of the
    file every start reads: only reported causes need them. The file holds one small pickle
    per cause; a cause knows its (offset, length) and reads it on first use."""

    def __init__(self, path: Path | None = None, data: bytes | None = None) -> None:
        self._path = path
        self._data = data

    def _bytes(self) -> bytes:
        if self._data is None:
            assert self._path is not None
            self._data = self._path.read_bytes()
        return self._data

    def texts(self, at: tuple[int, int]) -> CauseText:
        got: CauseText = pickle.loads(self._bytes()[at[0]:at[0] + at[1]])
        return got

    def __reduce__(self) -> tuple[Any, ...]:  # pickled elsewhere: carry the texts along
        return (CauseTexts, (None, self._bytes()))


_TEXTS = "cause-texts"  # the persistent id of a cache's CauseTexts in its rules file


def read(directory: Path, key: str, fingerprint: str) -> CompiledRules | None:
    """The rule set cached under ``key``, or None if it is missing, stale or unreadable."""
    path = directory / f"rules-{key}.pickle"
    pages = directory / f"pages-{key}.pickle"
    texts = directory / f"texts-{key}.pickle"
    # Unpickling creates some 100,000 objects for 5,000 rules: the cyclic GC would walk
    # them all again and again while they are built (a third of the load time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        with path.open("rb") as fh:
            if pickle.load(fh) != fingerprint:  # the key is a hash: be exact
                return None
            unpickler = pickle.Unpickler(fh)
            store = CauseTexts(texts)
            unpickler.persistent_load = (  # type: ignore[method-assign]
                lambda pid: store if pid == _TEXTS else None)
            obj = unpickler.load()
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError,
            TypeError, ValueError):
        return None
    finally:
        if enabled:
            gc.enable()
    if type(obj).__name__ != "CompiledRules" or not pages.exists() or not texts.exists():
        return None
    obj.pages = LazyPages(pages)
    return obj  # type: ignore[no-any-return]


def _dump(directory: Path, name: str, write: Callable[[IO[bytes]], object]) -> None:
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".kb-", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        write(fh)
    os.replace(tmp, directory / f"{name}.pickle")


def write(directory: Path, key: str, fingerprint: str, compiled: CompiledRules) -> None:
    """Cache ``compiled`` under ``key``; a directory that cannot be written is no error."""
    from .compiled import Cause, Probe, Sig

    store = CauseTexts()
    blobs: list[bytes] = []
    causes = []
    offset = 0
    for cause in compiled.causes:
        blob = pickle.dumps(cause.text, protocol=pickle.HIGHEST_PROTOCOL)
        causes.append(cause.with_texts_in(store, (offset, len(blob))))
        blobs.append(blob)
        offset += len(blob)
    # Items of the rules a scan never touches are never built (kb_engine.lazy).
    hot = compiled.replace(
        pages={}, causes=LazyList(causes, Cause, shared=("_store", store)),
        sigs=LazyList(compiled.sigs, Sig), probes=LazyList(compiled.probes, Probe))

    def write_hot(fh: IO[bytes]) -> None:
        pickle.dump(fingerprint, fh, protocol=pickle.HIGHEST_PROTOCOL)
        pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.persistent_id = (  # type: ignore[method-assign]
            lambda obj: _TEXTS if obj is store else None)
        pickler.dump(hot)

    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Pages and texts first: a rules file is only ever read when both exist.
        _dump(directory, f"pages-{key}", lambda fh: pickle.dump(
            dict(compiled.pages), fh, protocol=pickle.HIGHEST_PROTOCOL))
        _dump(directory, f"texts-{key}", lambda fh: fh.write(b"".join(blobs)))
        _dump(directory, f"rules-{key}", write_hot)
        old = sorted(directory.glob("rules-*.pickle"), key=lambda p: p.stat().st_mtime)
        for stale in old[:-8]:
            stale.unlink(missing_ok=True)
            for kind in ("pages-", "texts-"):
                (stale.parent / stale.name.replace("rules-", kind, 1)).unlink(missing_ok=True)
    except OSError:
        return  # a read-only home must not break diagnosis
