"""Checks beyond the schema, reported compiler style with locations.

Pure: the caller passes each page with its source text and the names of the
sample files beside it. Errors make ``kb lint`` exit non-zero; warnings do not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import Location, RuleError, RuleValidationError
from .model import Cause, Page
from .regexes import RegexSyntaxError, compile_re2, required_literals
from .scoring import DEFAULT_MIN_CONFIDENCE
from .templates import placeholders

Locator = Callable[[Sequence[str | int]], int | None]


@dataclass(frozen=True)
class SampleName:
    cause: str
    polarity: str
    name: str


def _err(msg: str, path: str, line: int | None, field: str, severity: str = "error") -> RuleError:
    return RuleValidationError(msg, Location(path, line, field), severity=severity)


def _check_regex(
    pattern: str, ignore_case: bool, loc: list[str | int], path: str, where: Locator,
    needs_literal: bool,
) -> list[RuleError]:
    field = _dotted(loc)
    try:
        compiled = compile_re2(pattern, ignore_case)
    except RegexSyntaxError as exc:
        return [_err(f"not a safe (RE2) regex: {exc}", path, where(loc), field)]
    out: list[RuleError] = []
    if compiled.search("") is not None:
        out.append(_err("over-broad: the pattern matches an empty line", path, where(loc), field))
    elif needs_literal and required_literals(pattern, ignore_case) is None:
        out.append(_err(
            "over-broad: no literal of 3+ characters that every match contains, so it would "
            "run on every line; add a fixed word", path, where(loc), field))
    if "\n" in pattern or "\\n" in pattern:
        out.append(_err("patterns match one line; use kind: lines for several", path,
                        where(loc), field))
    return out


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


def _signature_checks(
    cause: Cause, ci: int, path: str, where: Locator
) -> tuple[list[RuleError], set[str]]:
    errors: list[RuleError] = []
    captured: set[str] = set()
    for group, sigs in (("signatures", cause.signatures), ("rule_out", cause.rule_out)):
        for si, sig in enumerate(sigs):
            base: list[str | int] = ["causes", ci, group, si]
            if sig.kind == "regex":
                found = _check_regex(sig.pattern, sig.ignore_case, [*base, "pattern"], path,
                                     where, True)
                errors += found
                if group == "signatures" and not found:
                    captured |= set(compile_re2(sig.pattern, sig.ignore_case).groupindex)
            elif sig.kind == "lines":
                for pi, pattern in enumerate(sig.patterns):
                    found = _check_regex(pattern, sig.ignore_case, [*base, "patterns", pi],
                                         path, where, True)
                    errors += found
                    if group == "signatures" and not found:
                        captured |= set(compile_re2(pattern, sig.ignore_case).groupindex)
            elif sig.kind == "exception":
                if sig.message:
                    found = _check_regex(sig.message, sig.ignore_case, [*base, "message"],
                                         path, where, False)
                    errors += found
                    if group == "signatures" and not found:
                        captured |= set(compile_re2(sig.message, sig.ignore_case).groupindex)
            else:
                for name in ("module", "file", "function"):
                    value = getattr(sig, name)
                    if value:
                        errors += _check_regex(value, False, [*base, name], path, where, False)
    return errors, captured


def lint_page(
    page: Page, path: str, where: Locator, samples: Sequence[SampleName],
    misnamed: Sequence[str] = (),
) -> list[RuleError]:
    """Every problem in one page; ``where(loc)`` maps a field path to a line."""
    errors: list[RuleError] = []
    cause_ids = {c.id for c in page.causes}
    for ci, cause in enumerate(page.causes):
        sig_errors, captured = _signature_checks(cause, ci, path, where)
        errors += sig_errors
        texts: list[tuple[list[str | int], str]] = [
            (["causes", ci, "title"], cause.title),
            (["causes", ci, "explanation"], cause.explanation),
        ]
        for group in ("fix", "verify"):
            for si, step in enumerate(getattr(cause, group)):
                texts.append((["causes", ci, group, si], step.text))
                if step.command:
                    texts.append((["causes", ci, group, si, "command"], step.command))
        for loc, text in texts:
            for name in sorted(placeholders(text) - captured):
                errors.append(_err(f"placeholder {{{name}}} is not captured by any regex "
                                   f"signature of this cause (use (?P<{name}>...))", path,
                                   where(loc), _dotted(loc)))
        best = 1.0
        for sig in cause.signatures:
            best *= 1.0 - sig.weight
        if 1.0 - best < DEFAULT_MIN_CONFIDENCE:
            errors.append(_err(
                f"can never be reported: all signatures together reach {1.0 - best:.2f} < "
                f"{DEFAULT_MIN_CONFIDENCE}", path, where(["causes", ci, "signatures"]),
                f"causes[{ci}].signatures"))
        kinds = {s.polarity for s in samples if s.cause == cause.id}
        for polarity, word in (("pos", "positive"), ("neg", "near-miss negative")):
            if polarity not in kinds:
                errors.append(_err(
                    f"cause {cause.id!r} has no {word} sample "
                    f"({page.id}.{cause.id}.{polarity}.log)", path, where(["causes", ci, "id"]),
                    f"causes[{ci}].id"))
    for s in samples:
        if s.cause not in cause_ids:
            errors.append(_err(f"sample {s.name} names unknown cause {s.cause!r}", path, None,
                               "samples"))
    for name in misnamed:
        errors.append(_err(f"sample {name} is misnamed: expected "
                           f"{page.id}.<cause-id>.pos|neg[.label].log", path, None, "samples"))
    names = {s.name for s in samples}
    for key in page.sample_sources:
        if key not in names:
            errors.append(_err(f"sample_sources names {key!r}, which is not a sample file",
                               path, where(["sample_sources", key]), f"sample_sources.{key}",
                               severity="warning"))
    return errors


def duplicate_ids(pages: Sequence[tuple[str, str]]) -> list[RuleError]:
    """(page id, path) pairs -> an error for every id defined twice in one pack."""
    seen: dict[str, str] = {}
    out: list[RuleError] = []
    for pid, path in pages:
        if pid in seen:
            out.append(_err(f"duplicate page id {pid!r} (also in {seen[pid]})", path, None, "id"))
        else:
            seen[pid] = path
    return out
