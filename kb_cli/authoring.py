"""Commands for rule authors: ``kb lint``, ``kb test``, ``kb schema``."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from kb_engine import RuleError, load_rules
from kb_engine.lint import SampleName, duplicate_ids, lint_page
from kb_engine.loader import (
    bundled_rules_dir,
    corpus_files,
    locate,
    missing_paths,
    read_page,
    rule_files,
    sample_files,
)
from kb_engine.selftest import Outcome, Sample, confusion, run

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2


def _dirs(args: argparse.Namespace) -> list[Path]:
    return [Path(d) for d in args.dirs] or [bundled_rules_dir()]


def _locator(path: Path, text: str) -> Callable[[Sequence[str | int]], int | None]:
    return lambda loc: locate(path, text, loc)


def lint_errors(dirs: list[Path]) -> list[RuleError]:
    errors: list[RuleError] = missing_paths(dirs)
    ids: list[tuple[str, str]] = []
    for path in rule_files(dirs):
        page, errs = read_page(path)
        errors += errs
        if page is None:
            continue
        ids.append((page.id, str(path)))
        text = path.read_text(encoding="utf-8")
        good, bad = sample_files(path)
        names = [SampleName(s.cause, s.polarity, s.path.name) for s in good]
        errors += lint_page(page, str(path), _locator(path, text), names,
                            [b.name for b in bad])
    errors += duplicate_ids(ids)
    return errors


def cmd_lint(args: argparse.Namespace) -> int:
    dirs = _dirs(args)
    errors = lint_errors(dirs)
    n_err = sum(1 for e in errors if e.severity == "error")
    if args.format == "json":
        json.dump([{"path": e.location.path, "line": e.location.line,
                    "field": e.location.field, "severity": e.severity,
                    "message": e.message} for e in errors], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for e in errors:
            print(f"{e.location}: {e.severity}: {e.message}")
        files = len(rule_files(dirs))
        print(f"kb lint: {files} rule files, {n_err} errors, {len(errors) - n_err} warnings")
    return EXIT_ERROR if n_err else EXIT_OK


def collect_samples(dirs: list[Path]) -> list[Sample]:
    samples: list[Sample] = []
    for path in rule_files(dirs):
        good, _ = sample_files(path)
        for s in good:
            samples.append(Sample(s.path.name, f"{s.page}/{s.cause}", s.polarity,
                                  s.path.read_text(encoding="utf-8", errors="replace")))
    for path in corpus_files(dirs):
        samples.append(Sample(str(path.name), None, "corpus",
                              path.read_text(encoding="utf-8", errors="replace")))
    return samples


def cmd_test(args: argparse.Namespace) -> int:
    dirs = _dirs(args)
    bundled = bundled_rules_dir()
    extra = [d for d in dirs if d.resolve() != bundled]
    rules = load_rules(extra, include_bundled=not args.no_bundled, strict=True)
    samples = collect_samples(dirs)
    outcomes = run(rules, samples)
    failed = [o for o in outcomes if not o.passed]
    for o in outcomes:
        if not o.passed:
            print(f"FAIL {o.sample.polarity:<6} {o.sample.name}: {o.message}")
        elif args.verbose:
            print(f"ok   {o.sample.polarity:<6} {o.sample.name}")
    kinds = Counter(o.sample.polarity for o in outcomes)
    if args.confusion:
        print_confusion(outcomes)
    print(f"({kinds['pos']} positives, {kinds['neg']} near-misses, {kinds['corpus']} corpus "
          f"logs, {len(rules.cause_keys())} causes loaded)")
    print(f"test: {len(outcomes) - len(failed)} passed, {len(failed)} failed")
    return EXIT_FAIL if failed or not outcomes else EXIT_OK


def print_confusion(outcomes: list[Outcome]) -> None:
    outranked, cofired = confusion(outcomes)
    print("confusion report (positive samples):")
    print(f"  pairs where another cause outranked the expected one: {sum(outranked.values())}")
    for (exp, got), n in outranked.most_common():
        print(f"    {exp}  <  {got}  x{n}")
    print(f"  pairs also reported below the expected cause: {sum(cofired.values())}")
    for (exp, got), n in cofired.most_common(20):
        print(f"    {exp}  >  {got}  x{n}")


def schema_json() -> str:
    from kb_engine.model import Page

    schema = Page.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "kb runbook page"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def cmd_schema(args: argparse.Namespace) -> int:
    current = schema_json()
    if args.check:
        try:
            on_disk = Path(args.check).read_text(encoding="utf-8")
        except OSError as exc:
            print(f"kb: cannot read {args.check}: {exc.strerror}", file=sys.stderr)
            return EXIT_ERROR
        if on_disk != current:
            print(f"kb: {args.check} is stale; regenerate with: kb schema > {args.check}",
                  file=sys.stderr)
            return EXIT_FAIL
        return EXIT_OK
    sys.stdout.write(current)
    return EXIT_OK


COMMANDS = {"lint": cmd_lint, "test": cmd_test, "schema": cmd_schema}
