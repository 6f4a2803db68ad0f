"""The ``kb`` command line: diagnose, search, show, list, lint, test, schema.

Exit codes follow grep: 0 a diagnosis (or match) was found, 1 none, 2 a usage,
rule or input error.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from kb_engine import KbError, RuleSet, RuleSetError, __version__, load_rules
from kb_engine.loader import missing_paths

from . import parallel
from .render import Style, page_text, report_markdown, report_text

EXIT_FOUND, EXIT_NONE, EXIT_ERROR = 0, 1, 2
CHUNK = 1 << 20
_SNIFF = 8192

EXAMPLES = """examples:
  kb diagnose < error.log              diagnose a paste or a log from stdin
  kb diagnose --format json job.log    machine-readable report (docs/json-output.md)
  kb diagnose --explain error.log      per-signature hit/miss for the top causes
  kb search "queuepool limit"          find a runbook by the words you'd type
  kb show python-recursion             the whole runbook page
  kb lint rules/ && kb test rules/     what rule authors run before a PR
"""


def _json() -> Any:
    import json  # only --format json needs it: a paste rendered as text does not

    return json


class InputProblem(Exception):
    """Input we refuse, with a message for the user."""


def _add_rules_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rules", action="append", default=[], metavar="DIR",
                   help="extra rule pack (repeatable; also KB_RULES_PATH, ':'-separated); "
                        "its page ids override the bundled pack's")
    p.add_argument("--no-bundled", action="store_true", help="do not load the bundled pack")
    p.add_argument("--no-cache", action="store_true", help="ignore the compiled-rules cache")


def _add_authoring_parsers(sub: Any) -> None:
    lint = sub.add_parser(
        "lint", help="check rule files; every problem at once, compiler style",
        description="Validate rule files against the format and lint them: unsafe or "
                    "over-broad regexes, duplicate ids, uncaptured placeholders, causes "
                    "without samples. Exit 2 when any error is found.")
    lint.add_argument("dirs", nargs="*", metavar="DIR", help="rule dirs (default: bundled)")
    lint.add_argument("--format", choices=("text", "json"), default="text")

    test = sub.add_parser(
        "test", help="run every sample: positives first, negatives and corpus silent",
        description="Each positive sample must rank its cause first; each near-miss "
                    "negative must not report its cause; every _corpus log must produce no "
                    "diagnosis. Samples are ranked against the bundled pack plus DIRs.")
    test.add_argument("dirs", nargs="*", metavar="DIR", help="rule dirs (default: bundled)")
    test.add_argument("--confusion", action="store_true",
                      help="also print which cause outranks or co-fires with which")
    test.add_argument("-v", "--verbose", action="store_true", help="list passing samples too")
    test.add_argument("--no-bundled", action="store_true",
                      help="rank against DIRs only, without the bundled pack")

    schema = sub.add_parser("schema", help="print the JSON Schema of the rule format")
    schema.add_argument("--check", metavar="FILE",
                        help="exit 1 if FILE differs from the current schema")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb", description="On-call diagnosis knowledge base for Python services.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"kb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("diagnose", help="rank the likely causes of a traceback or log",
                       description="Read a traceback or log (files, or stdin) and print "
                                   "ranked, explained diagnoses. Exit 0 if one is found, 1 if "
                                   "not, 2 on errors.")
    d.add_argument("files", nargs="*", metavar="FILE", help="input files (default: stdin; - too)")
    d.add_argument("--top", type=int, default=3, metavar="N", help="diagnoses to show (3)")
    d.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    d.add_argument("--explain", action="store_true",
                   help="show every signature's hit or miss, and causes below the threshold")
    d.add_argument("--min-confidence", type=float, default=0.5, metavar="C",
                   help="report causes at or above this confidence (0.5)")
    d.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    d.add_argument("--jobs", type=int, default=0, metavar="N",
                   help="processes for one big file (0: auto, two above 48 MB; 1: one)")
    d.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                   help="progress on stderr for big inputs (auto: when stderr is a terminal)")
    _add_rules_args(d)

    s = sub.add_parser("search", help="find runbook pages by words",
                       description="Fuzzy runbook lookup over titles, symptoms, tags, FAQ "
                                   "and error text.")
    s.add_argument("query", nargs="+")
    s.add_argument("--limit", type=int, default=5)
    s.add_argument("--format", choices=("text", "json"), default="text")
    _add_rules_args(s)

    sh = sub.add_parser("show", help="print a whole runbook page",
                        description="Render a runbook page (accepts page or page/cause ids).")
    sh.add_argument("id")
    sh.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    sh.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    _add_rules_args(sh)

    ls = sub.add_parser("list", help="list runbook pages and their causes")
    ls.add_argument("--format", choices=("text", "json"), default="text")
    _add_rules_args(ls)

    _add_authoring_parsers(sub)
    return parser


def _style(choice: str, stream: IO[str]) -> Style:
    if choice == "always":
        return Style(True)
    if choice == "never" or os.environ.get("NO_COLOR"):
        return Style(False)
    return Style(stream.isatty())


def _rule_dirs(args: argparse.Namespace) -> list[Path]:
    """KB_RULES_PATH, then ``--rules``. A mistyped ``--rules`` is a usage error (a wrong
    path would read as an empty pack); a stale KB_RULES_PATH entry only warns, through
    ``load_errors``, so that a bot's diagnosis goes on."""
    missing = missing_paths(args.rules)
    if missing:
        raise InputProblem(f"--rules {missing[0]}")
    env = [p for p in os.environ.get("KB_RULES_PATH", "").split(os.pathsep) if p]
    return [Path(p) for p in env + list(args.rules)]


def _load(args: argparse.Namespace) -> RuleSet:
    rules = load_rules(_rule_dirs(args), include_bundled=not args.no_bundled,
                       use_cache=not args.no_cache)
    gc.freeze()  # the rule set lives as long as the process: no collection need walk it
    for err in rules.load_errors:
        print(f"kb: warning: skipped a broken rule: {err}", file=sys.stderr)
    if rules.load_errors:
        print(f"kb: warning: {len(rules.load_errors)} rule error(s) skipped; run kb lint",
              file=sys.stderr)
    return rules


class Progress:
    """A one-line progress meter on stderr; stdout (and so JSON output) is never touched."""

    MIN_BYTES = 16 << 20

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled and total >= self.MIN_BYTES
        self.done = 0
        self.last = 0.0

    def advance(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last >= 0.2:
            self.last = now
            pct = 100 * self.done // max(self.total, 1)
            sys.stderr.write(f"\rkb: scanning {self.done >> 20}/{self.total >> 20} MB "
                             f"({pct}%)")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def read_chunks(files: Sequence[str], progress: Progress | None = None) -> Iterator[bytes]:
    """Stream input as raw chunks (the engine decodes only the lines it reports);
    refuse binary input with a clear message."""
    streams: list[tuple[str, IO[bytes]]] = []
    if not files or files == ["-"]:
        streams.append(("<stdin>", sys.stdin.buffer))
    for name in files:
        if name != "-":
            try:
                streams.append((name, open(name, "rb")))  # noqa: SIM115 - closed below
            except OSError as exc:
                raise InputProblem(f"cannot read {name}: {exc.strerror}") from None
    total = 0
    ends_with_newline = True
    for name, stream in streams:
        first = True
        try:
            while True:
                block = stream.read(CHUNK)
                if first:
                    _refuse_binary(name, block[:_SNIFF])
                    if block and not ends_with_newline:
                        yield b"\n"  # keep the previous file's last line apart
                    first = False
                if not block:
                    break
                total += len(block)
                ends_with_newline = block.endswith(b"\n")
                if progress is not None:
                    progress.advance(len(block))
                yield block
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
    if total == 0:
        raise InputProblem("input is empty: paste a traceback or pass a log file")


def _refuse_binary(name: str, head: bytes) -> None:
    if head[:2] == b"\x1f\x8b":
        raise InputProblem(f"{name} is gzip-compressed: use zcat {name} | kb diagnose")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputProblem(f"{name} is UTF-16: convert it first (iconv -f utf-16 -t utf-8)")
    if b"\x00" in head:
        raise InputProblem(f"{name} looks binary (NUL bytes): kb reads text logs")


def _input_size(files: Sequence[str]) -> int:
    total = 0
    for name in files or ["-"]:
        with contextlib.suppress(OSError):  # a pipe or missing file: no size, no meter
            total += os.stat(name).st_size if name != "-" else os.fstat(0).st_size
    return total


def cmd_diagnose(args: argparse.Namespace) -> int:
    rules = _load(args)
    # Scanning builds no reference cycles, and the process ends with the report: cyclic
    # collections would only re-walk what the scan keeps (5-10 % of a big log's time).
    gc.disable()
    show = args.progress == "always" or (args.progress == "auto" and sys.stderr.isatty())
    size = _input_size(args.files)
    progress = Progress(size, show)
    options = {"top": max(args.top, 1), "min_confidence": args.min_confidence,
               "explain": args.explain}
    if size >= parallel.TUNE_BYTES:
        parallel.tune_allocator()
    report = None
    if (args.jobs != 1 and len(args.files) == 1 and args.files[0] != "-"
            and os.path.isfile(args.files[0]) and parallel.worth_it(size)):
        with open(args.files[0], "rb") as fh:
            _refuse_binary(args.files[0], fh.read(_SNIFF))
        report = parallel.diagnose_file(rules, args.files[0], progress.advance, **options)
    if report is None:
        report = rules.diagnose(read_chunks(args.files, progress), **options)
    progress.finish()
    if args.format == "json":
        _json().dump(report.to_dict(explain=args.explain), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.format == "markdown":
        sys.stdout.write(report_markdown(report))
    else:
        sys.stdout.write(report_text(report, _style(args.color, sys.stdout), args.explain))
    return EXIT_FOUND if report.diagnosed else EXIT_NONE


def cmd_search(args: argparse.Namespace) -> int:
    hits = _load(args).search(" ".join(args.query), args.limit)
    if args.format == "json":
        _json().dump([h.__dict__ for h in hits], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for h in hits:
            cause = f"/{h.cause_id}" if h.cause_id else ""
            print(f"{h.score:5.1f}  {h.page_id}{cause}  {h.title}")
            print(f"       {h.snippet[:100]}")
        if not hits:
            print("no matching runbook page")
    return EXIT_FOUND if hits else EXIT_NONE


def cmd_show(args: argparse.Namespace) -> int:
    rules = _load(args)
    page_id = args.id.split("/", 1)[0]
    try:
        page = rules.page(page_id)
    except KeyError:
        hits = rules.search(args.id, 3)
        hint = f" (did you mean {', '.join(h.page_id for h in hits)}?)" if hits else ""
        print(f"kb: no runbook page {page_id!r}{hint}", file=sys.stderr)
        return EXIT_NONE
    if args.format == "json":
        _json().dump(page, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(page_text(page, _style(args.color, sys.stdout),
                                   markdown=args.format == "markdown"))
    return EXIT_FOUND


def cmd_list(args: argparse.Namespace) -> int:
    rules = _load(args)
    pages = [rules.page(pid) for pid in rules.page_ids()]
    if args.format == "json":
        _json().dump([{"id": p["id"], "title": p["title"],
                    "causes": [c["id"] for c in p["causes"]]} for p in pages], sys.stdout,
                  indent=2)
        sys.stdout.write("\n")
    else:
        for p in pages:
            print(f"{p['id']:<40} {len(p['causes']):>2} causes  {p['title']}")
        print(f"{len(pages)} pages, {sum(len(p['causes']) for p in pages)} causes")
    return EXIT_FOUND if pages else EXIT_NONE


COMMANDS = {"diagnose": cmd_diagnose, "search": cmd_search, "show": cmd_show, "list": cmd_list}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_ERROR
    handler = COMMANDS.get(args.command)
    if handler is None:
        from . import authoring  # imports pydantic: only rule authors pay for it

        handler = authoring.COMMANDS[args.command]
    try:
        return handler(args)
    except InputProblem as exc:
        print(f"kb: {exc}", file=sys.stderr)
    except RuleSetError as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        print(f"kb: {len(exc.errors)} rule error(s); run kb lint for details", file=sys.stderr)
    except KbError as exc:
        print(f"kb: {exc}", file=sys.stderr)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FOUND
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug of ours: one line, the details only on request
        if os.environ.get("KB_DEBUG"):
            raise
        print(f"kb: internal error ({type(exc).__name__}: {exc}); rerun with KB_DEBUG=1 "
              "and report it", file=sys.stderr)
    return EXIT_ERROR


def entry() -> None:
    """The ``kb`` command: ``main``, its output flushed, then an exit that skips tearing the
    interpreter down. Freeing every object of a loaded rule set one by one took 4-8 ms of a
    paste's 70-110 ms and 13 ms after a 100 MB scan, for nothing: the process is ending.
    Nothing kb holds needs a finaliser (files are closed where they are written)."""
    code = main()
    # A reader that left early (``kb diagnose | head``) is not an error.
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.flush()
    with contextlib.suppress(OSError):
        sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
