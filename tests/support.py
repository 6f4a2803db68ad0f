"""Helpers for tests that reproduce real failures and check them against rule samples."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from kb_engine import RuleSet, clean_text, load_rules, mask

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"


@lru_cache(maxsize=1)
def rules() -> RuleSet:
    """The bundled pack, loaded once per test session (no on-disk cache: always fresh)."""
    return load_rules(use_cache=False)


def top_cause(text: str) -> str | None:
    """``page/cause`` of the first diagnosis, or None when nothing is reported."""
    report = rules().diagnose(text)
    return report.diagnoses[0].id if report.diagnoses else None


def reported_causes(text: str) -> list[str]:
    return [d.id for d in rules().diagnose(text).diagnoses]


_SITE = re.compile(r"(?:/[^\s\"']*?)?/(?:lib/)?python3\.\d+/(site-packages|dist-packages)/")
_STDLIB = re.compile(r"(?:/[^\s\"':]*?)?/lib/python(3\.\d+)/(?!site-packages|dist-packages)")
_TMP = re.compile(r"/tmp/[\w.-]+(?:/[\w.-]+)*?/(?=[\w.-]+\.py\b)")


def scrub(text: str) -> str:
    """Neutralise machine paths: site-packages, the stdlib and temp dirs."""
    text = _SITE.sub(r"/usr/local/lib/python3.11/\1/", text)
    text = _STDLIB.sub(r"/usr/local/lib/python\1/", text)
    text = _TMP.sub("/app/", text)
    home = str(Path.home())
    if home not in ("/", ""):
        text = text.replace(home, "/home/user")
    text = text.replace(str(REPO), "/app")
    return text


_ERRORISH = re.compile(
    # pytest prints "E   pkg.Error: msg"; socket prints lower-case "socket.gaierror: ..."
    r"^(?:E\s+)?(?:[A-Za-z_][\w.]*(?:Error|Exception|Warning|Exit|Interrupt|Timeout|Refused|"
    r"Violation|Failure|NotFound\w*|error|timeout)\b)|\b(?:ERROR|CRITICAL|FATAL)\b"
)


def error_lines(text: str) -> list[str]:
    """The masked exception and error-level lines of a text, in order, de-duplicated."""
    out: list[str] = []
    for line in clean_text(text).split("\n"):
        stripped = line.strip()
        if _ERRORISH.search(stripped):
            m = mask(stripped)
            if m not in out:
                out.append(m)
    return out


def parsed_exceptions(text: str) -> list[str]:
    """Masked ``type: message`` of every exception the engine parses from tracebacks."""
    from kb_engine.matcher import scan_text

    out: list[str] = []
    for tb in scan_text(rules().compiled, text).tracebacks:
        for exc in tb.exceptions:
            head = mask(f"{exc.type}: {exc.message}".strip())
            if head not in out:
                out.append(head)
    return out


def _all_lines(text: str) -> list[str]:
    return [mask(ln.strip()) for ln in clean_text(text).split("\n") if ln.strip()]


def same_error(captured: str, sample: str | Path) -> None:
    """Assert the fresh capture shows the same masked error lines as the committed sample.

    Every error line of the sample must appear in the capture: the library still prints
    what the rule was written against.
    """
    path = Path(sample)
    if not path.is_absolute():
        path = RULES / path if not str(path).startswith("rules/") else REPO / path
    sample_text = path.read_text(encoding="utf-8")
    # Error-looking lines, plus every exception the engine parses (names such as
    # psycopg2.errors.DeadlockDetected do not end in "Error").
    expected = error_lines(sample_text) + parsed_exceptions(sample_text)
    got = set(error_lines(captured)) | set(parsed_exceptions(captured))
    if not expected:
        # Warning-only samples (DeprecationWarning, asyncio slow-callback lines): every
        # masked non-empty line must still be printed.
        expected = _all_lines(sample_text)
        got = set(_all_lines(captured))
    missing = [line for line in expected if line not in got]
    assert expected, f"{path.name} is empty"
    assert not missing, (
        f"{path.name}: the library no longer prints these lines:\n  "
        + "\n  ".join(missing)
        + "\ncaptured error lines:\n  " + "\n  ".join(sorted(got))
    )


PACKS = [RULES, REPO / "tests" / "fixtures" / "pack"]


def sample_inputs() -> list[Path]:
    """Every sample of the bundled and fixture packs, then their corpus logs."""
    from kb_engine.loader import corpus_files, rule_files, sample_files

    out: list[Path] = []
    for path in rule_files(PACKS):
        out += [s.path for s in sample_files(path)[0]]
    return out + corpus_files(PACKS)
