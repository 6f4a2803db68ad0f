"""Reading rule packs from disk: the one place that parses YAML.

``collect`` validates every file and returns all problems at once, each with
``path:line: field``. ``load_rules`` compiles a valid set and caches the
compiled form on disk (``kb_engine.rulecache``), keyed by every rule file's path,
size and mtime, so a new process skips YAML and pydantic entirely when nothing
changed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from . import rulecache
from .errors import Location, RuleError, RuleSetError, RuleSyntaxError, RuleValidationError

if TYPE_CHECKING:
    from .model import Page
    from .ruleset import RuleSet

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
    no Path object per file (and ``scandir`` builds the paths in C)."""
    out: list[str] = []
    for d in dirs:
        d = str(Path(d))  # normalised as before ("./x/" -> "x"): paths are shown to users
        if os.path.isfile(d):
            out.append(d)
            continue
        found: list[str] = []
        _walk_rules(d, found)
        found.sort()
        out += found
    return out


def _walk_rules(directory: str, found: list[str]) -> None:
    """What ``os.walk`` would give: symlinked folders are listed, not entered."""
    try:
        it = os.scandir(directory)
    except OSError:  # gone, unreadable or not a folder: no rules there
        return
    with it:
        for entry in it:
            name = entry.name
            if name.startswith(("_", ".")):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if not is_dir:
                if name.endswith(".yaml"):
                    found.append(entry.path)
            elif not entry.is_symlink():
                _walk_rules(entry.path, found)


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


def missing_paths(dirs: Sequence[Path | str]) -> list[RuleError]:
    """An error for each rule folder or file that does not exist: a mistyped path must not
    read as an empty pack (``kb lint`` green, ``kb diagnose`` finding nothing)."""
    return [RuleError("no such rule folder or file", Location(str(d)))
            for d in dirs if not os.path.exists(d)]


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
    missing = missing_paths(dirs)  # outside the cache: a cache hit must not hide them
    if missing and strict:
        raise RuleSetError(missing)
    from .prefilter import HAVE_HYPERSCAN

    fingerprint = (rulecache.fingerprint(_rule_paths(dirs), HAVE_HYPERSCAN and _backend())
                   if use_cache else "")
    key = rulecache.cache_key(fingerprint) if use_cache else ""
    compiled = rulecache.read(cache_dir(), key, fingerprint) if use_cache else None
    errors: list[RuleError] = []
    if compiled is None:
        from .compiled import compile_pages

        pages, errors = collect(dirs)
        if errors and strict:
            raise RuleSetError(errors)
        compiled = compile_pages(pages, prefer_hyperscan=_backend())
        if use_cache and not errors:
            rulecache.write(cache_dir(), key, fingerprint, compiled)
    rules = RuleSet(compiled, dirs)
    rules.load_errors = missing + errors
    return rules
