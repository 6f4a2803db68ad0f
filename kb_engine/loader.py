"""Reading rule packs from disk: the one place that parses YAML.

``collect`` validates every file and returns all problems at once, each with
``path:line: field``. ``load_rules`` compiles a valid set and caches the
compiled form on disk, keyed by every rule file's path, size and mtime, so a
new process skips YAML and pydantic entirely when nothing changed.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from .errors import Location, RuleError, RuleSetError, RuleSyntaxError, RuleValidationError

if TYPE_CHECKING:
    from .compiled import CauseText, CompiledRules
    from .model import Page
    from .ruleset import RuleSet

CACHE_FORMAT = "kb-cache-4"
SAMPLE_SUFFIX = ".log"
POLARITIES = ("pos", "neg")


def bundled_rules_dir() -> Path:
    import kb_rules  # type: ignore[import-not-found]

    return Path(kb_rules.__file__).resolve().parent


def rule_files(dirs: Sequence[Path]) -> list[Path]:
    """Every ``*.yaml`` rule under ``dirs``; folders starting with ``_`` hold corpora."""
    return [Path(p) for p in _rule_paths(dirs)]


def _rule_paths(dirs: Sequence[Path | str]) -> list[str]:
    """``rule_files`` as strings: a new process walks a 5,000-rule pack on every start, so
    no Path object per file."""
    out: list[str] = []
    for d in dirs:
        d = str(Path(d))  # normalised as before ("./x/" -> "x"): paths are shown to users
        if os.path.isfile(d):
            out.append(d)
            continue
        found: list[str] = []
        for root, subdirs, names in os.walk(d):
            subdirs[:] = [s for s in subdirs if not s.startswith(("_", "."))]
            found += [os.path.join(root, n) for n in names
                      if n.endswith(".yaml") and not n.startswith(("_", "."))]
        found.sort()
        out += found
    return out


class SampleFile(NamedTuple):
    path: Path
    page: str
    cause: str
    polarity: str  # "pos" or "neg"
    label: str | None


def sample_files(rule_path: Path) -> tuple[list[SampleFile], list[Path]]:
    """Samples beside a rule (same stem), and files that look like samples but are misnamed."""
    stem = rule_path.stem
    good: list[SampleFile] = []
    bad: list[Path] = []
    for path in sorted(rule_path.parent.glob(f"{stem}.*{SAMPLE_SUFFIX}")):
        parts = path.name[len(stem) + 1: -len(SAMPLE_SUFFIX)].split(".")
        if len(parts) in (2, 3) and parts[1] in POLARITIES:
            good.append(SampleFile(path, stem, parts[0], parts[1],
                                   parts[2] if len(parts) == 3 else None))
        else:
            bad.append(path)
    return good, bad


def corpus_files(dirs: Sequence[Path]) -> list[Path]:
    """Healthy and foreign-ecosystem logs that no rule may fire on (``_corpus/**/*.log``)."""
    out: list[Path] = []
    for d in dirs:
        corpus = Path(d) / "_corpus"
        if corpus.is_dir():
            out.extend(sorted(corpus.rglob("*.log")))
    return out


# -- YAML with line numbers ------------------------------------------------------------------

def _yaml() -> Any:
    import yaml

    return yaml


def _node_line(node: Any, loc: Sequence[str | int]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to a line (1-based)."""
    yaml = _yaml()
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if key.value == part:
                    node = value
                    line = key.start_mark.line + 1
                    break
            # A discriminator tag (e.g. 'regex') is not a key: stay on this node.
        elif (isinstance(node, yaml.SequenceNode) and isinstance(part, int)
              and 0 <= part < len(node.value)):
            node = node.value[part]
            line = node.start_mark.line + 1
    return line


def _field(loc: Sequence[str | int], data: Any) -> str:
    out = ""
    cur = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            cur = cur[part] if isinstance(cur, list) and part < len(cur) else None
        elif isinstance(cur, dict) and part not in cur and "kind" in cur:
            continue  # discriminator value, not a field
        else:
            out += ("." if out else "") + str(part)
            cur = cur.get(part) if isinstance(cur, dict) else None
    return out or "<file>"


@lru_cache(maxsize=16)
def _compose(text: str) -> Any:
    """The YAML node tree of a rule file, once per file however many errors it has."""
    yaml = _yaml()
    try:
        return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def locate(path: Path, text: str, loc: Sequence[str | int]) -> int | None:
    root = _compose(text)
    return None if root is None else _node_line(root, loc)


def read_page(path: Path) -> tuple[Page | None, list[RuleError]]:
    """Parse and validate one rule file; every problem comes back with its location."""
    from pydantic import ValidationError

    from .model import Page

    yaml = _yaml()
    spath = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [RuleSyntaxError(f"cannot read: {exc}", Location(spath))]
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [RuleSyntaxError(f"YAML syntax: {problem}", Location(spath, line))]
    if not isinstance(data, dict):
        return None, [RuleValidationError("a rule file must be a mapping", Location(spath, 1))]
    try:
        page = Page.model_validate(data)
    except ValidationError as exc:
        errors: list[RuleError] = []
        for err in exc.errors():
            loc = err["loc"]
            errors.append(RuleValidationError(
                err["msg"], Location(spath, locate(path, text, loc), _field(loc, data))))
        return None, errors
    if page.id != path.stem:
        return page, [RuleValidationError(
            f"page id {page.id!r} must equal the file name stem {path.stem!r}",
            Location(spath, locate(path, text, ["id"]), "id"))]
    return page, []


def collect(dirs: Sequence[Path]) -> tuple[list[tuple[Page, str]], list[RuleError]]:
    """Validate every rule file; later packs override earlier ones with the same page id."""
    pages: dict[str, tuple[Page, str]] = {}
    errors: list[RuleError] = []
    for path in rule_files(dirs):
        page, errs = read_page(path)
        errors.extend(errs)
        if page is not None and not errs:
            pages[page.id] = (page, str(path))
    return list(pages.values()), errors


# -- cache ----------------------------------------------------------------------------------

def cache_dir() -> Path:
    env = os.environ.get("KB_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kb"


def _backend() -> bool:
    """True to use Hyperscan when installed; KB_PREFILTER=ahocorasick forces the fallback."""
    return os.environ.get("KB_PREFILTER", "auto").lower() != "ahocorasick"


def _fingerprint(files: list[str]) -> str:
    """What the compiled form depends on: kb's version and engine code, and every rule
    file's path, size and mtime (a new, removed, edited or touched file changes it)."""
    from . import __version__
    from .prefilter import HAVE_HYPERSCAN

    out = [f"{CACHE_FORMAT}|{sys.version}|{HAVE_HYPERSCAN and _backend()}|{__version__}"]
    engine = os.path.dirname(os.path.abspath(__file__))
    with os.scandir(engine) as it:  # any change to the engine's code invalidates the cache
        for entry in sorted(it, key=lambda e: e.name):
            if entry.name.endswith(".py"):
                st = entry.stat()
                out.append(f"{entry.name}|{st.st_size}|{st.st_mtime_ns}")
    stat = os.stat
    cwd = os.getcwd()
    for f in files:
        st = stat(f)
        out.append(f"{os.path.join(cwd, f)}|{st.st_size}|{st.st_mtime_ns}")
    return "\n".join(out)


def _cache_key(fingerprint: str) -> str:
    import hashlib

    return hashlib.sha256(fingerprint.encode("utf-8", "surrogateescape")).hexdigest()[:32]


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


def _read_cache(key: str, fingerprint: str) -> CompiledRules | None:
    directory = cache_dir()
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


def _write_cache(key: str, fingerprint: str, compiled: CompiledRules) -> None:
    directory = cache_dir()
    store = CauseTexts()
    blobs: list[bytes] = []
    causes = []
    offset = 0
    for cause in compiled.causes:
        blob = pickle.dumps(cause.text, protocol=pickle.HIGHEST_PROTOCOL)
        causes.append(cause.with_texts_in(store, (offset, len(blob))))
        blobs.append(blob)
        offset += len(blob)
    hot = dataclasses.replace(compiled, pages={}, causes=causes)

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


def load_rules(
    paths: Sequence[Path | str] | None = None, *, include_bundled: bool = True,
    use_cache: bool = True, strict: bool = False,
) -> RuleSet:
    """Load the bundled pack plus ``paths`` (later ids override earlier ones).

    A broken rule file must not stop a diagnosis at 3 a.m.: by default its page is skipped
    and the problem is kept in ``RuleSet.load_errors``. With ``strict=True`` any error
    raises RuleSetError carrying every error (what ``kb lint`` and CI want).
    """
    from .ruleset import RuleSet

    dirs = ([bundled_rules_dir()] if include_bundled else []) + [Path(p) for p in paths or ()]
    fingerprint = _fingerprint(_rule_paths(dirs)) if use_cache else ""
    key = _cache_key(fingerprint) if use_cache else ""
    compiled = _read_cache(key, fingerprint) if use_cache else None
    errors: list[RuleError] = []
    if compiled is None:
        from .compiled import compile_pages

        pages, errors = collect(dirs)
        if errors and strict:
            raise RuleSetError(errors)
        compiled = compile_pages(pages, prefer_hyperscan=_backend())
        if use_cache and not errors:
            _write_cache(key, fingerprint, compiled)
    rules = RuleSet(compiled, dirs)
    rules.load_errors = errors
    return rules
