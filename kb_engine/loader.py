"""Reading rule packs from disk: the one place that parses YAML.

``collect`` validates every file and returns all problems at once, each with
``path:line: field``. ``load_rules`` compiles a valid set and caches the
compiled form on disk, keyed by every rule file's path, size and mtime, so a
new process skips YAML and pydantic entirely when nothing changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Location, RuleError, RuleSetError, RuleSyntaxError, RuleValidationError

if TYPE_CHECKING:
    from .compiled import CompiledRules
    from .model import Page
    from .ruleset import RuleSet

CACHE_FORMAT = "kb-cache-3"
SAMPLE_SUFFIX = ".log"
POLARITIES = ("pos", "neg")


def bundled_rules_dir() -> Path:
    import kb_rules  # type: ignore[import-not-found]

    return Path(kb_rules.__file__).resolve().parent


def rule_files(dirs: Sequence[Path]) -> list[Path]:
    """Every ``*.yaml`` rule under ``dirs``; folders starting with ``_`` hold corpora."""
    out: list[Path] = []
    for d in dirs:
        d = Path(d)
        if d.is_file():
            out.append(d)
            continue
        # os.walk with pruning: a new process walks a 5,000-rule pack on every start.
        found: list[str] = []
        for root, subdirs, names in os.walk(d):
            subdirs[:] = [s for s in subdirs if not s.startswith(("_", "."))]
            found += [os.path.join(root, n) for n in names
                      if n.endswith(".yaml") and not n.startswith(("_", "."))]
        out += [Path(p) for p in sorted(found)]
    return out


@dataclass(frozen=True)
class SampleFile:
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


def _cache_key(files: list[Path]) -> str:
    from .prefilter import HAVE_HYPERSCAN

    h = hashlib.sha256(f"{CACHE_FORMAT}|{sys.version}|{HAVE_HYPERSCAN and _backend()}".encode())
    from . import __version__

    h.update(__version__.encode())
    # The engine's own code shapes the compiled form: any change to it invalidates the cache.
    for src in sorted(Path(__file__).parent.glob("*.py")):
        st = src.stat()
        h.update(f"{src.name}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    for f in files:
        st = os.stat(f)
        h.update(f"{os.path.abspath(f)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


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


def _read_cache(key: str) -> CompiledRules | None:
    path = cache_dir() / f"rules-{key}.pickle"
    pages = cache_dir() / f"pages-{key}.pickle"
    try:
        with path.open("rb") as fh:
            obj = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    if type(obj).__name__ != "CompiledRules" or not pages.exists():
        return None
    obj.pages = LazyPages(pages)
    return obj  # type: ignore[no-any-return]


def _write_cache(key: str, compiled: CompiledRules) -> None:
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Pages first: a rules file is only ever read when its pages file exists.
        without_pages = dataclasses.replace(compiled, pages={})
        for name, obj in ((f"pages-{key}", dict(compiled.pages)),
                          (f"rules-{key}", without_pages)):
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".kb-", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, directory / f"{name}.pickle")
        old = sorted(directory.glob("rules-*.pickle"), key=lambda p: p.stat().st_mtime)
        for stale in old[:-8]:
            stale.unlink(missing_ok=True)
            (stale.parent / stale.name.replace("rules-", "pages-", 1)).unlink(missing_ok=True)
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
    files = rule_files(dirs)
    key = _cache_key(files) if use_cache else ""
    compiled = _read_cache(key) if use_cache else None
    errors: list[RuleError] = []
    if compiled is None:
        from .compiled import compile_pages

        pages, errors = collect(dirs)
        if errors and strict:
            raise RuleSetError(errors)
        compiled = compile_pages(pages, prefer_hyperscan=_backend())
        if use_cache and not errors:
            _write_cache(key, compiled)
    rules = RuleSet(compiled, dirs)
    rules.load_errors = errors
    return rules
