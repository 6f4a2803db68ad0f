"""Synthetic but realistic benchmark inputs, from a fixed seed.

    python bench/generate.py [--quick] [--with-1g] [--force]

Writes into ``bench/data/`` (git-ignored):

- ``packs/rules-1000/`` and ``packs/rules-5000/``: rule packs in kb's YAML format with
  exactly 1,000 and 5,000 *regex* signatures (``signatures`` + ``rule_out``), plus
  exception-type and frame predicates. The 5,000 pack is the 1,000 pack plus 4,000 more.
- ``patterns-N.re2`` (one RE2/Rust pattern per line, ``(?i)`` prefix when case-insensitive:
  the file given to ripgrep) and ``patterns-N.ere`` (the same patterns as POSIX ERE for
  ``grep -E``, case-insensitive ones spelled ``[aA]``).
- ``logs/mixed-1m.log``, ``mixed-10m.log``, ``mixed-100m.log`` (and ``mixed-1g.log`` on
  demand): timestamped app lines, JSON lines, access logs, syslog/k8s lines, Python
  tracebacks, some ANSI-coloured and CRLF lines; a few lines match a signature (well under
  1 %), more are near misses that carry a signature's literal but do not match.
  Each smaller log is a prefix of the larger one (same line stream).
- ``logs/adv-longline.log`` (one 10 MB line), ``adv-repeat.log`` (deeply repeated
  literals, traceback headers and a huge traceback), ``adv-chars.log`` (pathological
  characters), ``adv-crashloop.log`` (a real 92-line traceback once per request, between
  time-stamped records), ``adv-ciprefix.log`` (that crash loop as a CI runner stores it,
  every line behind its own time stamp), ``adv-headers.log`` (runs of traceback headers
  with nothing between them, in seven shapes), ``adv-warnings.log`` (a urllib3 warning
  per request from Debian's system Python: a site-packages path naming no version on
  every third line), ``adv-access.log`` (an access log whose every line holds a
  ``status==200`` filter and aiohttp's ``Python/3.11`` user agent, version cues that name
  nothing), ``adv-java.log`` (a Java service's 60-frame stack trace with its cause, once
  per request): the adversarial inputs.
- ``tb300.log``: a 300-line pasted traceback, produced by really running Python code.

Signatures are built from small token trees so that each one renders to RE2 (for the
YAML), to ERE (for grep) and to sample text that matches it (to plant in the logs).
MB means 10**6 bytes everywhere in the benchmark.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

GENERATOR_VERSION = "5"
SEED = 20240514
HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MB = 1_000_000
PACK_SIZES = (1000, 5000)
LOG_SIZES = {"1m": 1 * MB, "10m": 10 * MB, "100m": 100 * MB}
QUICK_LOG_SIZES = {"1m": 1 * MB, "10m": 10 * MB}
ADV_NAMES = ("adv-longline", "adv-repeat", "adv-chars", "adv-crashloop",
             "adv-ciprefix", "adv-headers", "adv-warnings", "adv-access",
             "adv-java")  # + "-1m" / "-10m"
# A real traceback (captured from FastAPI and SQLAlchemy for a bundled rule) for the crash loop.
CRASH_SAMPLE = (HERE.parent / "rules" / "fastapi"
                / "fastapi-dependencies.sync-db-in-async-endpoint.pos.incident.log")

# -- tokens: one tree renders to RE2, ERE and a matching sample ---------------------------

_RE2_META = set("\\.^$|?*+()[]{}")
_ERE_META = set("\\.^$|?*+()[]{}")


def _esc(text: str, meta: set[str]) -> str:
    return "".join("\\" + c if c in meta else c for c in text)


def _ere_ci(text: str) -> str:
    out = []
    for c in text:
        if c.isascii() and c.isalpha():
            out.append(f"[{c.lower()}{c.upper()}]")
        else:
            out.append(_esc(c, _ERE_META))
    return "".join(out)


Sampler = Callable[[random.Random], str]


class Tok:
    def re2(self) -> str:
        raise NotImplementedError

    def ere(self, ci: bool) -> str:
        raise NotImplementedError

    def sample(self, r: random.Random, ci: bool) -> str:
        raise NotImplementedError

    def literals(self) -> list[str]:
        """Literal runs this token contributes unconditionally (for the 3+ char rule)."""
        return []


@dataclass
class Lit(Tok):
    text: str

    def re2(self) -> str:
        return _esc(self.text, _RE2_META)

    def ere(self, ci: bool) -> str:
        return _ere_ci(self.text) if ci else _esc(self.text, _ERE_META)

    def sample(self, r: random.Random, ci: bool) -> str:
        if not ci:
            return self.text
        mode = r.randrange(4)
        if mode == 0:
            return self.text.upper()
        if mode == 1:
            return self.text.lower()
        if mode == 2:
            return self.text.title()
        return self.text

    def literals(self) -> list[str]:
        return [self.text]


@dataclass
class Atom(Tok):
    """A character-class piece: ``\\d+``, ``[^"]+``, ``\\s+``, ``.*`` ..."""

    r2: str
    e: str
    gen: Sampler

    def re2(self) -> str:
        return self.r2

    def ere(self, ci: bool) -> str:
        return self.e

    def sample(self, r: random.Random, ci: bool) -> str:
        return self.gen(r)


@dataclass
class Alt(Tok):
    options: list[list[Tok]]

    def re2(self) -> str:
        return "(?:" + "|".join("".join(t.re2() for t in o) for o in self.options) + ")"

    def ere(self, ci: bool) -> str:
        return "(" + "|".join("".join(t.ere(ci) for t in o) for o in self.options) + ")"

    def sample(self, r: random.Random, ci: bool) -> str:
        return "".join(t.sample(r, ci) for t in r.choice(self.options))


@dataclass
class Group(Tok):
    name: str
    inner: list[Tok]

    def re2(self) -> str:
        return f"(?P<{self.name}>" + "".join(t.re2() for t in self.inner) + ")"

    def ere(self, ci: bool) -> str:
        return "(" + "".join(t.ere(ci) for t in self.inner) + ")"

    def sample(self, r: random.Random, ci: bool) -> str:
        return "".join(t.sample(r, ci) for t in self.inner)

    def literals(self) -> list[str]:
        return [s for t in self.inner for s in t.literals()]


@dataclass
class Opt(Tok):
    inner: list[Tok]

    def re2(self) -> str:
        return "(?:" + "".join(t.re2() for t in self.inner) + ")?"

    def ere(self, ci: bool) -> str:
        return "(" + "".join(t.ere(ci) for t in self.inner) + ")?"

    def sample(self, r: random.Random, ci: bool) -> str:
        return "".join(t.sample(r, ci) for t in self.inner) if r.random() < 0.6 else ""


def _ident(r: random.Random) -> str:
    return r.choice(IDENTS) + ("_" + str(r.randrange(100)) if r.random() < 0.3 else "")


def _path(r: random.Random) -> str:
    return f"/{r.choice(MODULES)}/{r.choice(IDENTS)}/{r.randrange(10_000)}"


def _host(r: random.Random) -> str:
    return f"{r.choice(HOSTS)}-{r.randrange(12)}.{r.choice(('svc', 'internal', 'prod'))}"


DIGITS = Atom(r"\d+", "[0-9]+", lambda r: str(r.randrange(1, 100_000)))
DIGITS3 = Atom(r"\d{3}", "[0-9]{3}", lambda r: str(r.randrange(100, 1000)))
FLOAT = Atom(r"[\d.]+", "[0-9.]+", lambda r: f"{r.uniform(0.1, 120):.2f}")
WORD = Atom(r"\w+", "[[:alnum:]_]+", _ident)
DOTTED = Atom(r"[\w.]+", "[[:alnum:]_.]+", lambda r: f"{r.choice(MODULES)}.{_ident(r)}")
NOT_DQ = Atom(r'[^"]+', '[^"]+', _path)
NOT_SQ = Atom(r"[^']+", "[^']+", _path)
NONSPACE = Atom(r"\S+", "[^[:space:]]+", _path)
SPACES = Atom(r"\s+", "[[:space:]]+", lambda r: " " * r.randrange(1, 4))
HOSTPORT = Atom(r"[\w.-]+:\d+", "[[:alnum:]_.-]+:[0-9]+",
                lambda r: f"{_host(r)}:{r.choice((5432, 6379, 9092, 443, 8080, 5672))}")
UUIDISH = Atom(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}",
               lambda r: f"{r.getrandbits(32):08x}-{r.getrandbits(16):04x}-"
                         f"{r.getrandbits(16):04x}")
CODE5 = Atom(r"[0-9A-Z]{5}", "[0-9A-Z]{5}",
             lambda r: "".join(r.choice("0123456789ABCDEFXP") for _ in range(5)))
GAP = Atom(".*", ".*", lambda r: r.choice(("", " ", f" while handling {_ident(r)} ",
                                           f" (attempt {r.randrange(1, 9)}) ")))
GAP_PLUS = Atom(".+", ".+", lambda r: f" {_ident(r)} ")
GAP_LAZY = Atom(".*?", ".*", lambda r: r.choice(("", f" id={r.randrange(999)} ")))
IDENT_CLS = Atom(r"[A-Za-z_][\w.]*", "[A-Za-z_][[:alnum:]_.]*",
                 lambda r: f"{r.choice(MODULES)}.exc.{r.choice(CAMEL)}")
WB = Atom(r"\b", r"\b", lambda r: "")
START = Atom("^", "^", lambda r: "")
END = Atom("$", "$", lambda r: "")
CI_SAFE = (DIGITS, DIGITS3, FLOAT, WORD, NOT_DQ, NOT_SQ, NONSPACE, SPACES, HOSTPORT, GAP)

# -- vocabulary ---------------------------------------------------------------------------

COMPONENTS = [
    "postgres", "mysql", "redis", "kafka", "rabbitmq", "celery", "s3", "gcs", "elasticsearch",
    "mongo", "vault", "consul", "etcd", "grpc", "smtp", "ldap", "oauth", "stripe", "twilio",
    "airflow", "dynamodb", "memcached", "nats", "pulsar", "clickhouse", "cassandra", "minio",
    "keycloak", "sentry", "prometheus",
]
SUBJECTS = [
    "connection", "session", "transaction", "advisory lock", "lease", "access token",
    "certificate", "partition", "shard", "replica", "worker", "queue", "consumer group",
    "producer", "channel", "socket", "stream", "cursor", "connection pool", "snapshot",
    "migration", "index", "bucket", "multipart upload", "job", "scheduled task", "webhook",
    "upstream request", "TLS handshake", "heartbeat", "checkpoint", "offset commit", "schema",
    "table", "record", "message", "batch", "cache entry", "secret", "config map", "volume",
    "mount", "node", "pod", "container", "image layer", "build artifact", "tenant", "quota",
    "rate limit", "subscription", "payment intent", "refresh token", "service account",
    "replication slot", "write-ahead log", "dead letter queue", "retry budget", "circuit breaker",
]
FAILURES = [
    "timed out after", "was refused by", "could not be acquired from", "was closed unexpectedly by",
    "exceeded the limit set by", "is not available on", "failed validation in",
    "was rejected by", "has expired in", "was not found in", "is already in use by",
    "was reset by", "could not be decoded by", "returned an invalid response from",
    "is read-only on", "was throttled by", "lost its connection to",
    "is in an inconsistent state on",
    "could not be serialized for", "was evicted from", "was fenced off by", "is unreachable from",
    "conflicts with another writer on", "was aborted by", "is larger than allowed by",
]
OBJECTS = [
    "the primary", "the broker", "the cluster", "the coordinator", "the leader", "the backend",
    "the gateway", "the upstream", "the server", "the registry", "the scheduler", "the sidecar",
    "the proxy", "the load balancer", "the storage backend", "the auth provider", "the API",
]
CAMEL = [
    "Timeout", "ConnectionRefused", "LeaseExpired", "QuotaExceeded", "SchemaMismatch",
    "Throttled", "NotLeader", "StaleRead", "LockNotAvailable", "Serialization", "Fenced",
    "PartitionUnavailable", "TokenExpired", "CertificateVerify", "PoolExhausted", "Deadlock",
    "Rebalance", "OffsetOutOfRange", "BucketNotFound", "SlotDropped", "ReplicaLag",
    "HandshakeFailed", "PayloadTooLarge", "Unauthorized", "CircuitOpen",
]
MODULES = [
    "orders", "payments", "billing", "inventory", "accounts", "search", "notify", "ingest",
    "reports", "catalog", "shipping", "auth", "gateway", "scheduler", "exports",
]
IDENTS = [
    "get_conn", "handle_event", "process_batch", "sync_account", "charge_card", "fetch_page",
    "publish", "consume", "render_report", "refresh_token", "load_config", "write_rows",
    "apply_migration", "resolve_user", "upload_part", "compute_totals", "dispatch",
    "run_job", "flush_buffer", "open_session", "commit_offsets", "validate_payload",
]
HOSTS = ["db", "cache", "broker", "api", "auth", "search", "queue", "store", "vault", "meta"]
LEVEL_WORDS = ["ERROR", "CRITICAL", "FATAL"]
CI_PHRASES = [
    "connection reset by peer", "broken pipe", "too many open files", "no space left on device",
    "certificate has expired", "permission denied", "name or service not known",
    "temporary failure in name resolution", "server closed the connection unexpectedly",
    "remaining connection slots are reserved", "deadlock detected", "out of shared memory",
    "read timed out", "connection pool is full", "operation not permitted",
]
ERR_SYSTEMS = ["ORA", "PGX", "KFK", "RMQ", "ESX", "VLT", "STR", "GRP"]


# -- signatures ---------------------------------------------------------------------------

@dataclass
class Sig:
    toks: list[Tok]
    ignore_case: bool = False
    # Top-level alternation: several token sequences joined by "|".
    branches: list[list[Tok]] | None = None

    def re2(self) -> str:
        if self.branches:
            return "|".join("".join(t.re2() for t in b) for b in self.branches)
        return "".join(t.re2() for t in self.toks)

    def ere(self) -> str:
        if self.branches:
            return "|".join("".join(t.ere(self.ignore_case) for t in b) for b in self.branches)
        return "".join(t.ere(self.ignore_case) for t in self.toks)

    def sample(self, r: random.Random) -> str:
        toks = r.choice(self.branches) if self.branches else self.toks
        return "".join(t.sample(r, self.ignore_case) for t in toks)

    def near_miss(self, r: random.Random) -> str:
        """Text carrying the pattern's longest literal but (almost always) not matching."""
        toks = self.branches[0] if self.branches else self.toks
        lits = [s for t in toks for s in t.literals()]
        best = max(lits, key=len)
        if self.ignore_case and r.random() < 0.5:
            best = best.upper()
        tail = r.choice(("was retried and succeeded", "ok", "recovered", "is healthy again",
                         "check passed", "(informational)"))
        return f"{best} {tail}"

    def longest_literal(self) -> int:
        """Length of the longest literal every match must contain (in each branch)."""
        groups = self.branches or [self.toks]
        return min(max((len(x) for t in g for x in t.literals()), default=0) for g in groups)

    @property
    def anchored(self) -> bool:
        toks = self.branches[0] if self.branches else self.toks
        return bool(toks) and toks[0] is START


def _words(text: str) -> list[Tok]:
    return [Lit(text)]


def _phrase(r: random.Random, used: set[str]) -> tuple[str, str, str]:
    while True:
        s, f, o = r.choice(SUBJECTS), r.choice(FAILURES), r.choice(OBJECTS)
        key = f"{s}|{f}|{o}"
        if key not in used:
            used.add(key)
            return s, f, o


def _exc_name(r: random.Random, comp: str) -> str:
    return f"{comp.capitalize()}{r.choice(CAMEL)}Error"


def make_regex(r: random.Random, comp: str, used: set[str]) -> Sig:
    """One regex signature shaped like the ones in real packs."""
    s, f, o = _phrase(r, used)
    fam = r.choices(
        ["exc", "bracket", "errno", "gap", "anchored", "wordb", "ci", "alt", "class", "k8s",
         "code", "json", "http"],
        weights=[16, 12, 6, 10, 8, 4, 10, 7, 2, 4, 7, 6, 4])[0]
    if fam == "exc":
        toks: list[Tok] = [Lit(f"{_exc_name(r, comp)}: {s} "), Alt([[Lit(f)], [Lit("has failed")]]),
                           Lit(f" {o}")]
        if r.random() < 0.6:
            toks += [Lit(" at '"), Group("target", [NOT_SQ]), Lit("'")]
        return Sig(toks)
    if fam == "bracket":
        return Sig([Lit("["), Alt([[Lit(w)] for w in r.sample(LEVEL_WORDS, 2)]), Lit("] "),
                    Lit(f"{comp}: {s} {f} {o}"),
                    Opt([Lit(" after "), Group("secs", [FLOAT]), Lit(" seconds")])])
    if fam == "errno":
        return Sig([Lit("[Errno "), Group("errno", [DIGITS]), Lit("] "),
                    Lit(f"{s.capitalize()} {f} {comp}")])
    if fam == "gap":
        gap = r.choice((GAP, GAP, GAP_PLUS, GAP_LAZY))
        return Sig([Lit(f"Failed to {r.choice(('open', 'renew', 'flush', 'sync', 'commit'))} "
                        f"{s} \""), NOT_DQ, Lit(f"\" on {comp}:"), gap, WB, Lit(f), WB])
    if fam == "anchored":
        head = r.choice(("E   ", "FATAL: ", "panic: ", "error: "))
        toks = [START, Lit(head), Lit(f"{comp} {s} {f} {o}")]
        if r.random() < 0.5:
            toks += [Lit(" (code "), Group("code", [DIGITS]), Lit(")"), END]
        return Sig(toks)
    if fam == "wordb":
        return Sig([WB, Lit(f"{comp.capitalize()}{r.choice(CAMEL)}{r.choice(CAMEL)}"), WB,
                    Lit(f" in {s}")])
    if fam == "ci":
        phrase = r.choice(CI_PHRASES)
        toks = [Lit(f"{comp} {s}: "), Lit(phrase)]
        if r.random() < 0.5:
            toks += [Lit(" ("), Group("addr", [HOSTPORT]), Lit(")")]
        return Sig(toks, ignore_case=True)
    if fam == "alt":
        s2, f2, o2 = _phrase(r, used)
        branches = [[Lit(f"{comp} {s} {f} {o}")], [Lit(f"{comp} {s2} {f2} {o2}")]]
        if r.random() < 0.4:
            branches.append([Lit(f"{comp} {s} is not ready")])
        return Sig([], branches=branches)
    if fam == "class":
        return Sig([IDENT_CLS, Lit(f"{r.choice(CAMEL)}Error: {s} {f} {comp} "),
                    Group("res", [NONSPACE])])
    if fam == "k8s":
        kinds = Alt([[Lit("Liveness")], [Lit("Readiness")], [Lit("Startup")]])
        return Sig([Group("probe", [kinds]),
                    Lit(f" probe failed for {comp}-{s.replace(' ', '-')}: HTTP statuscode: "),
                    Group("status", [DIGITS3])])
    if fam == "code":
        system = r.choice(ERR_SYSTEMS)
        if r.random() < 0.5:
            return Sig([Lit(f"{system}-"), Group("code", [DIGITS]), Lit(f": {comp} {s} {f} {o}")])
        return Sig([Lit(f"{comp} SQLSTATE["), Group("state", [CODE5]), Lit(f"]: {s} {f}")])
    if fam == "json":
        return Sig([Lit('"level":"error"'), GAP, Lit(f'"msg":"{comp} {s} {f} {o}'), NOT_DQ,
                    Lit('"')])
    # http
    res = r.choice(MODULES)
    return Sig([Lit('"'), Alt([[Lit("GET")], [Lit("POST")], [Lit("PUT")]]),
                Lit(" /api/v"), DIGITS, Lit(f"/{res}/{comp}-{s.split()[0]}"), NOT_DQ,
                Lit('" '), Alt([[Lit("502")], [Lit("503")], [Lit("504")]]), Lit(" ")])


@dataclass
class CauseSpec:
    id: str
    regexes: list[Sig]
    rule_out: list[Sig]
    exc: tuple[str, str | None, str] | None  # (type, message regex, a matching message)
    frame: dict[str, str] | None
    title: str


@dataclass
class PageSpec:
    id: str
    area: str
    title: str
    causes: list[CauseSpec] = field(default_factory=list)

    @property
    def n_regex(self) -> int:
        return sum(len(c.regexes) + len(c.rule_out) for c in self.causes)


def build_pages(total: int, seed: int = SEED, boundaries: tuple[int, ...] = PACK_SIZES
                ) -> list[PageSpec]:
    """Pages whose regex signatures add up to ``total``; every boundary falls between pages,
    so the first pages holding ``b`` regexes form the ``b``-rule pack."""
    r = random.Random(seed)
    used: set[str] = set()
    pages: list[PageSpec] = []
    count = 0
    stops = sorted({b for b in boundaries if b < total} | {total})
    n = 0
    while count < total:
        limit = next(b for b in stops if b > count) - count
        comp = COMPONENTS[n % len(COMPONENTS)]
        s, f, _ = _phrase(r, used)
        pid = f"{comp}-{s.replace(' ', '-').replace('_', '-').lower()}-{n:05d}"
        page = PageSpec(pid, comp, f"{comp}: {s} {f}")
        for ci in range(r.choice((1, 2, 2, 3, 4))):
            budget = limit - page.n_regex
            if budget <= 0:
                break
            k = min(budget, r.choice((1, 1, 2, 2, 3)))
            regs = [make_regex(r, comp, used) for _ in range(k)]
            outs = []
            if budget - k > 0 and r.random() < 0.12:
                outs = [make_regex(r, comp, used)]
            exc = None
            if r.random() < 0.35:
                etype = f"{comp}.exceptions.{_exc_name(r, comp)}"
                msg = None
                ss, ff, oo = _phrase(r, used)
                if r.random() < 0.6:
                    msg = f"{_esc(ss, _RE2_META)} {_esc(ff, _RE2_META)}"
                exc = (etype, msg, f"{ss} {ff} {oo}")
            frame = None
            if r.random() < 0.18:
                mod, fn = r.choice(MODULES), r.choice(IDENTS)
                frame = r.choice((
                    {"module": f"^{mod}\\.{comp}_client$", "function": f"^{fn}$"},
                    {"file": f"/{mod}/{comp}_client\\.py$"},
                    {"module": f"^{comp}\\.(?:pool|client|connection)"},
                ))
            page.causes.append(CauseSpec(f"cause-{ci + 1}", regs, outs, exc, frame,
                                         f"{s} {f} ({ci + 1})"))
        if not page.causes:
            break
        pages.append(page)
        count += page.n_regex
        n += 1
    assert count == total, (count, total)
    return pages


def page_yaml(page: PageSpec) -> dict[str, object]:
    causes = []
    for c in page.causes:
        sigs: list[dict[str, object]] = []
        for sig in c.regexes:
            d: dict[str, object] = {"kind": "regex", "pattern": sig.re2()}
            if sig.ignore_case:
                d["ignore_case"] = True
            d["weight"] = 0.6
            sigs.append(d)
        if c.exc:
            d = {"kind": "exception", "type": c.exc[0]}
            if c.exc[1]:
                d["message"] = c.exc[1]
            d["weight"] = 0.4
            sigs.append(d)
        if c.frame:
            sigs.append({"kind": "frame", **c.frame, "weight": 0.3})
        cause: dict[str, object] = {
            "id": c.id, "title": c.title,
            "explanation": f"Synthetic benchmark cause for {page.area}: {c.title}.",
            "signatures": sigs,
            "fix": [f"Check the {page.area} side of {c.title}."],
            "verify": ["Re-run the job; the error line is gone."],
        }
        if c.rule_out:
            cause["rule_out"] = [{"kind": "regex", "pattern": s.re2(),
                                  **({"ignore_case": True} if s.ignore_case else {})}
                                 for s in c.rule_out]
        causes.append(cause)
    return {"id": page.id, "title": page.title,
            "summary": f"Synthetic benchmark page ({page.area}).", "runtime": "any",
            "tags": ["bench", page.area], "causes": causes}


def regex_keys(pages: list[PageSpec]) -> list[tuple[str, str, bool]]:
    """(key, RE2 pattern, ignore_case) for every regex signature, with kb's key numbering:
    the index is the signature's position in the cause's ``signatures`` list."""
    out = []
    for p in pages:
        for c in p.causes:
            for i, s in enumerate(c.regexes):  # regexes come first in page_yaml
                out.append((f"{p.id}/{c.id}#signatures[{i}]", s.re2(), s.ignore_case))
            for i, s in enumerate(c.rule_out):
                out.append((f"{p.id}/{c.id}#rule_out[{i}]", s.re2(), s.ignore_case))
    return out


_NAMED = re.compile(r"\(\?P<\w+>")


def write_pack(pages: list[PageSpec], dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    for page in pages:
        path = dest / page.area / f"{page.id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump(page_yaml(page), Dumper=dumper, sort_keys=False,
                                  allow_unicode=True, width=1000), encoding="utf-8")
    sigs = [s for p in pages for c in p.causes for s in c.regexes + c.rule_out]
    n = len(sigs)
    # ripgrep joins all patterns into one regex: capture names must not repeat, so named
    # groups become non-capturing ones (same lines match).
    (dest.parent / f"patterns-{n}.re2").write_text("".join(
        ("(?i)" if s.ignore_case else "") + _NAMED.sub("(?:", s.re2()) + "\n" for s in sigs))
    (dest.parent / f"patterns-{n}.ere").write_text("".join(s.ere() + "\n" for s in sigs))
    meta = {"regex_signatures": n, "pages": len(pages),
            "causes": sum(len(p.causes) for p in pages),
            "exception_signatures": sum(1 for p in pages for c in p.causes if c.exc),
            "frame_signatures": sum(1 for p in pages for c in p.causes if c.frame),
            "case_insensitive": sum(1 for s in sigs if s.ignore_case)}
    (dest / "PACK.json").write_text(json.dumps(meta, indent=1))


# -- logs -----------------------------------------------------------------------------------

INFO_MSGS = [
    "request completed", "cache hit", "scheduled job started", "heartbeat ok",
    "processed batch", "user login succeeded", "token refreshed", "config reloaded",
    "connection opened", "message published", "message acknowledged", "report rendered",
    "upload finished", "webhook delivered", "health check passed", "metrics flushed",
    "migration is up to date", "worker ready", "retrying idempotent call", "queue drained",
]
WARN_MSGS = [
    "slow query took {ms} ms", "retry {n}/5 for {ident}", "deprecated parameter '{ident}' used",
    "response size {n} bytes above soft limit", "clock skew of {ms} ms detected",
]
PATHS = ["/api/v1/orders", "/api/v1/payments", "/api/v2/search", "/healthz", "/metrics",
         "/api/v1/users/{id}", "/static/app.{id}.js", "/api/v1/reports/{id}/export",
         "/login", "/api/v2/inventory/items"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0 Safari/537.36", "curl/8.5.0", "python-requests/2.31.0",
          "kube-probe/1.29", "Go-http-client/1.1", "okhttp/4.12.0"]
STATUSES = [200] * 30 + [201] * 5 + [204] * 4 + [301, 304, 304, 400, 401, 403, 404, 404, 429]
LOGGERS = [f"{m}.{s}" for m in MODULES for s in ("api", "worker", "db", "client")]
SYSLOG = ["systemd[1]: Started {svc}.service.", "kernel: [{n}.{ms}] eth0: link up",
          "kubelet[{n}]: I0514 probe succeeded for pod {svc}-{id}",
          "containerd[{n}]: time=\"{ts}\" level=info msg=\"pulled image {svc}:v{n}\"",
          "sshd[{n}]: Accepted publickey for deploy from 10.0.{n2}.{n3} port {port}"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
GREEN, RED, YELLOW, RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[0m"


class LogWriter:
    """An endless, deterministic stream of realistic log lines."""

    def __init__(self, pages: list[PageSpec], seed: int, core: int) -> None:
        self.r = random.Random(seed)
        sigs = [s for p in pages for c in p.causes for s in c.regexes + c.rule_out]
        self.core = sigs[:core]
        self.rest = sigs[core:] or self.core
        self.excs = [(c.exc[0], c.exc[2]) for p in pages for c in p.causes if c.exc]
        self.frames = [c.frame for p in pages for c in p.causes if c.frame]
        self.t = 1_715_673_600.0  # 2024-05-14T08:00:00Z
        self.match_rate = 0.005
        self.near_rate = 0.012
        self.tb_rate = 0.0004

    def _sig(self) -> Sig:
        r = self.r
        return r.choice(self.core) if r.random() < 0.6 else r.choice(self.rest)

    def _ts(self) -> tuple[str, int]:
        self.t += self.r.random() * 0.02
        t = self.t
        tm = time.gmtime(t)
        ms = int((t % 1) * 1000)
        return (f"{tm.tm_year}-{tm.tm_mon:02d}-{tm.tm_mday:02d}T{tm.tm_hour:02d}:"
                f"{tm.tm_min:02d}:{tm.tm_sec:02d}.{ms:03d}Z"), ms

    def lines(self) -> Iterator[str]:
        r = self.r
        while True:
            x = r.random()
            if x < self.match_rate:
                yield self._planted(self._sig().sample(r), self._sig())
            elif x < self.match_rate + self.near_rate:
                yield self._planted(self._sig().near_miss(r), None)
            elif x < self.match_rate + self.near_rate + self.tb_rate:
                yield from self._traceback()
            else:
                y = r.random()
                if y < 0.38:
                    yield self._app()
                elif y < 0.62:
                    yield self._json()
                elif y < 0.88:
                    yield self._access()
                elif y < 0.96:
                    yield self._syslog()
                else:
                    yield self._warn()

    def _app(self) -> str:
        r = self.r
        ts, ms = self._ts()
        level = "INFO" if r.random() < 0.9 else "DEBUG"
        if r.random() < 0.03:
            level = f"{GREEN}{level}{RESET}"
        msg = r.choice(INFO_MSGS)
        line = (f"{ts} {level:5} [{r.choice(LOGGERS)}] {msg} request_id={r.getrandbits(48):012x}"
                f" duration_ms={ms} user={r.randrange(100_000)}")
        if r.random() < 0.01:
            line += "\r"  # a CRLF line (Windows agent)
        return line

    def _json(self) -> str:
        r = self.r
        ts, ms = self._ts()
        return json.dumps({"ts": ts, "level": "info", "logger": r.choice(LOGGERS),
                           "msg": r.choice(INFO_MSGS), "trace_id": f"{r.getrandbits(64):016x}",
                           "status": r.choice(STATUSES), "elapsed_ms": ms,
                           "tenant": r.choice(("acme", "globex", "initech", "umbrella", "Zoë"))},
                          ensure_ascii=r.random() < 0.5, separators=(",", ":"))

    def _access(self) -> str:
        r = self.r
        self._ts()
        tm = time.gmtime(self.t)
        path = r.choice(PATHS).replace("{id}", str(r.randrange(10_000)))
        if r.random() < 0.3:
            path += f"?page={r.randrange(50)}&limit={r.choice((20, 50, 100))}"
        return (f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(256)} - - "
                f"[{tm.tm_mday:02d}/{MONTHS[tm.tm_mon - 1]}/{tm.tm_year}:{tm.tm_hour:02d}:"
                f"{tm.tm_min:02d}:{tm.tm_sec:02d} +0000] \"{r.choice(('GET', 'GET', 'POST'))} "
                f"{path} HTTP/1.1\" {r.choice(STATUSES)} {r.randrange(100, 90_000)} \"-\" "
                f"\"{r.choice(AGENTS)}\" {r.random():.3f}")

    def _syslog(self) -> str:
        r = self.r
        ts, ms = self._ts()
        tm = time.gmtime(self.t)
        body = r.choice(SYSLOG).format(
            svc=r.choice(MODULES), n=r.randrange(1, 99_999), ms=ms, id=f"{r.getrandbits(20):05x}",
            ts=ts, n2=r.randrange(256), n3=r.randrange(256), port=r.randrange(1024, 65535))
        return (f"{MONTHS[tm.tm_mon - 1]} {tm.tm_mday:2d} {tm.tm_hour:02d}:{tm.tm_min:02d}:"
                f"{tm.tm_sec:02d} node-{r.randrange(8)} {body}")

    def _warn(self) -> str:
        r = self.r
        ts, ms = self._ts()
        msg = r.choice(WARN_MSGS).format(ms=ms, n=r.randrange(1, 10**6), ident=_ident(r))
        level = f"{YELLOW}WARNING{RESET}" if r.random() < 0.1 else "WARNING"
        return f"{ts} {level} [{r.choice(LOGGERS)}] {msg}"

    def _planted(self, text: str, sig: Sig | None) -> str:
        """An error line: the text in a log prefix (raw when the pattern is anchored)."""
        r = self.r
        if sig is not None and sig.anchored:
            return text
        ts, _ = self._ts()
        style = r.random()
        if style < 0.5:
            level = "ERROR" if r.random() < 0.95 else f"{RED}ERROR{RESET}"
            return f"{ts} {level} [{r.choice(LOGGERS)}] {text}"
        if style < 0.8:
            return json.dumps({"ts": ts, "level": "error", "logger": r.choice(LOGGERS),
                               "msg": text}, separators=(",", ":"))
        return f"{ts} WARNING [{r.choice(LOGGERS)}] upstream said: {text}"

    def _traceback(self) -> Iterator[str]:
        r = self.r
        ts, _ = self._ts()
        yield f"{ts} ERROR [{r.choice(LOGGERS)}] Exception in worker task"
        yield "Traceback (most recent call last):"
        frame = r.choice(self.frames) if self.frames and r.random() < 0.5 else None
        for _ in range(r.randrange(3, 14)):
            mod, fn = r.choice(MODULES), r.choice(IDENTS)
            yield f'  File "/app/{mod}/{r.choice(IDENTS)}.py", line {r.randrange(1, 900)}, in {fn}'
            yield f"    result = {fn}(payload, retries={r.randrange(5)})"
        comp = r.choice(COMPONENTS)
        if frame and "function" in frame:  # {"module": "^mod\\.x_client$", "function": "^fn$"}
            mod, client = frame["module"][1:-1].split("\\.")
            fn = frame["function"][1:-1]
            yield f'  File "/app/{mod}/{client}.py", line {r.randrange(1, 400)}, in {fn}'
            yield "    return self._send(request)"
        else:
            yield (f'  File "/usr/local/lib/python3.11/site-packages/{comp}/client.py", '
                   f"line {r.randrange(1, 2000)}, in _send")
            yield "    raise self._error_for(response)"
        if self.excs and r.random() < 0.6:
            etype, msg = r.choice(self.excs)
            if r.random() < 0.5:
                msg = f"request {r.randrange(10**6)} could not be completed"
            yield f"{etype}: {msg}"
        elif r.random() < 0.5:
            yield f"{self._sig().sample(r)}"
        else:
            yield (f"{comp}.errors.{r.choice(CAMEL)}Warning: retry budget at "
                   f"{r.randrange(100)}% for {_ident(r)}")


def write_logs(pages: list[PageSpec], sizes: dict[str, int], dest: Path, core: int,
               seed: int = SEED + 1) -> dict[str, Path]:
    """Write ``mixed-<name>.log`` for each size from one line stream (prefixes of each other)."""
    dest.mkdir(parents=True, exist_ok=True)
    order = sorted(sizes.items(), key=lambda kv: kv[1])
    paths = {name: dest / f"mixed-{name}.log" for name, _ in order}
    handles = {name: paths[name].open("wb") for name, _ in order}
    written = 0
    open_names = [name for name, _ in order]
    stream = LogWriter(pages, seed, core).lines()
    try:
        while open_names:
            block = "\n".join(next(stream) for _ in range(2000)) + "\n"
            data = block.encode("utf-8")
            for name in list(open_names):
                room = sizes[name] - written
                if room <= 0:
                    handles[name].close()
                    open_names.remove(name)
                    continue
                if len(data) <= room:
                    handles[name].write(data)
                else:
                    cut = data.index(b"\n", room) + 1  # end on a whole line, >= size
                    handles[name].write(data[:cut])
                    handles[name].close()
                    open_names.remove(name)
            written += len(data)
    finally:
        for h in handles.values():
            h.close()
    return paths


def write_1g(dest: Path) -> Path:
    """1 GB = the 100 MB log ten times over (memory check; content repeats)."""
    src = dest / "mixed-100m.log"
    out = dest / "mixed-1g.log"
    tmp = out.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        for _ in range(10):
            with src.open("rb") as s:
                shutil.copyfileobj(s, fh, 8 * MB)
    tmp.replace(out)
    return out


def write_adversarial(pages: list[PageSpec], dest: Path, size: int, seed: int = SEED + 2
                      ) -> dict[str, Path]:
    r = random.Random(seed)
    sigs = [s for p in pages for c in p.causes for s in c.regexes + c.rule_out]
    dest.mkdir(parents=True, exist_ok=True)
    out = {}

    # 1. One line of `size` bytes: a minified blob full of signature literals, near misses,
    #    quotes and brackets, with a few real matches inside (the line matches them once).
    parts: list[str] = []
    n = 0
    while n < size:
        x = r.random()
        if x < 0.35:
            piece = r.choice(sigs).near_miss(r)
        elif x < 0.37:
            piece = r.choice(sigs).sample(r)
        elif x < 0.6:
            piece = '{"k":"' + _ident(r) + '","v":[' + ",".join(
                str(r.randrange(999)) for _ in range(8)) + "]}"
        elif x < 0.8:
            piece = "Error: " + "aaaa" * r.randrange(1, 30) + " [[[((( \"\"\" '''"
        else:
            piece = "Traceback (most recent call last): " + "x" * r.randrange(50)
        parts.append(piece)
        n += len(piece) + 1
    out["adv-longline"] = dest / "adv-longline.log"
    out["adv-longline"].write_bytes((" ".join(parts)[:size] + "\n").encode("utf-8"))

    # 2. Deeply repeated patterns: lines packed with one literal repeated, traceback headers
    #    with no body, long "During handling" chains, and one huge traceback (20,000 frames
    #    in 10 MB).
    tb = ["Traceback (most recent call last):"]
    for k in range(size // 500):
        tb += [f'  File "/app/orders/walk.py", line {k % 97 + 1}, in walk_{k % 13}',
               "    return walk(node.child)"]
    tb.append("RecursionError: maximum recursion depth exceeded")
    lines: list[str] = []
    n = 0
    while n < size:
        x = r.random()
        if n > size // 3 and tb:
            line = "\n".join(tb)
            tb = []
        elif x < 0.4:
            lit = r.choice(sigs).near_miss(r).rsplit(" ", 1)[0]
            line = (lit + " ") * r.randrange(5, 60)
        elif x < 0.55:
            line = "Traceback (most recent call last):"
        elif x < 0.57:
            chain = []
            for k in range(r.randrange(20, 80)):
                chain += ["Traceback (most recent call last):",
                          f'  File "/app/orders/retry.py", line {k + 1}, in attempt_{k}',
                          "    return send()", f"orders.exceptions.RetryError: attempt {k}", "",
                          "During handling of the above exception, another exception occurred:",
                          ""]
            line = "\n".join(chain)
        else:
            line = "ERROR " * r.randrange(10, 200) + "== " * r.randrange(10, 100)
        lines.append(line)
        n += len(line) + 1
    out["adv-repeat"] = dest / "adv-repeat.log"
    data = ("\n".join(lines) + "\n").encode("utf-8")[:size]
    out["adv-repeat"].write_bytes(data[: data.rfind(b"\n") + 1])

    # 3. Pathological characters: invalid UTF-8, 4-byte characters, combining marks,
    #    zero-width and bidi controls, U+2028, form feeds, lone CRs, ANSI storms,
    #    entity storms, smart quotes, fences, Kelvin sign and long s (case folding).
    weird = ["\u0301" * 40, "\U0001f525" * 20, "\u200b\u200d\u2060" * 10, "\u202e\u202d" * 10,
             "\u2028", "\u2029", "\x0c", "\x0b", "\r", "\x1b[31m\x1b[1m\x1b[0m" * 10,
             "&amp;amp;lt;" * 10, "&lt;&gt;&quot;&#39;", "\u201c\u201d\u2018\u2019",
             "```", "\u212a\u017f", "\u00a0" * 8, "\ufeff", "\\" * 30, "%s%n%x" * 5,
             "\u0130\u0131", "ǅǈǋ", "\x7f\x01\x02\x03\x1f"]
    buf = bytearray()
    while len(buf) < size:
        x = r.random()
        if x < 0.05:
            buf += bytes([0xC3, 0x28, 0xA0, 0xA1, 0xE2, 0x28, 0xA1, 0xF0, 0x28, 0x8C, 0xBC, 0xFF])
        elif x < 0.15:
            s = r.choice(sigs)
            buf += (r.choice(weird).join(s.sample(r).split(" "))).encode("utf-8")
        elif x < 0.25:
            buf += r.choice(sigs).sample(r).encode("utf-8")
        else:
            buf += "".join(r.choice(weird) + _ident(r) for _ in range(r.randrange(1, 12))
                           ).encode("utf-8")
        buf += b"\n" if r.random() < 0.5 else b" "
    out["adv-chars"] = dest / "adv-chars.log"
    out["adv-chars"].write_bytes(bytes(buf[:size]) + b"\n")

    # 4. A crash loop: one real traceback printed again for every request, after a
    #    time-stamped error record and before 20 time-stamped access lines, as a service
    #    failing the same way on each request logs it.
    block = first_traceback(CRASH_SAMPLE.read_text())
    chunks: list[str] = []
    n = k = 0
    while n < size:
        t = f"2026-11-28T{k // 3600 % 24:02d}:{k // 60 % 60:02d}:{k % 60:02d}"
        chunk = "\n".join([f"{t}.000Z ERROR Exception in ASGI application request_id={k}",
                           block, *(f"{t}.{j + 1:03d}Z INFO 10.0.{j}.{k % 250} GET /health 200"
                                    f" {j}ms" for j in range(20))])
        chunks.append(chunk)
        n += len(chunk) + 1
        k += 1
    out["adv-crashloop"] = dest / "adv-crashloop.log"
    data = ("\n".join(chunks) + "\n").encode("utf-8")[:size]
    out["adv-crashloop"].write_bytes(data[: data.rfind(b"\n") + 1])

    # 5. The same crash loop as a CI runner keeps it: every line behind the time it was
    #    read, to the 100 ns (GitHub Actions' raw logs), so no two lines are alike.
    stamped = [f"2026-11-28T10:{k // 600_000 % 60:02d}:{k // 10_000 % 60:02d}."
               f"{k % 10_000 * 1000 + 17:07d}Z {line}"
               for k, line in enumerate("\n".join(chunks).split("\n"))]
    out["adv-ciprefix"] = dest / "adv-ciprefix.log"
    data = ("\n".join(stamped) + "\n").encode("utf-8")[:size]
    out["adv-ciprefix"].write_bytes(data[: data.rfind(b"\n") + 1])
    out["adv-headers"] = dest / "adv-headers.log"
    out["adv-headers"].write_bytes(_header_runs(random.Random(seed + 7), block, size))

    # 7. A Python warning once per request, as Debian's system Python prints urllib3's:
    #    its path is a site-packages path that names no Python version, on every other line.
    def warning(k: int) -> str:
        t = f"2026-11-28T{k // 3600 % 24:02d}:{k // 60 % 60:02d}:{k % 60:02d}"
        return "\n".join([
            f"{t}.000Z INFO 10.0.{k % 250}.7 GET /api/orders/{k} 200 {k % 90}ms",
            "/usr/lib/python3/dist-packages/urllib3/connectionpool.py:1045: "
            "InsecureRequestWarning: Unverified HTTPS request is being made to host "
            "'api.internal'. Adding certificate verification is strongly advised. See: "
            "https://urllib3.readthedocs.io/en/1.26.x/advanced-usage.html#ssl-warnings",
            "  warnings.warn("])

    # 8. An access log whose every line holds version cues that name nothing: a filter
    #    with "==" and the user agent of aiohttp's client ("Python/3.11 aiohttp/3.9.5").
    def access(k: int) -> str:
        return (f'10.0.{k % 250}.{k % 7} - - [28/Nov/2026:10:{k // 60 % 60:02d}:{k % 60:02d}'
                f' +0000] "GET /api/orders?filter=status==2{k % 10}0&page={k} HTTP/1.1" 200'
                f' {k % 900} "-" "Python/3.11 aiohttp/3.9.5"')

    # 9. A Java service's crash loop: the same 60-frame stack trace, with its cause, for
    #    every request (kb marks such blocks foreign: they are no Python evidence).
    def java(k: int) -> str:
        t = f"2026-11-28 10:{k // 60 % 60:02d}:{k % 60:02d}.{k % 1000:03d}"
        return "\n".join([
            f"{t} ERROR [http-nio-8080-exec-{k % 9}] o.a.c.c.C.[.[.[/].[dispatcherServlet] :"
            " Servlet.service() threw exception",
            'java.lang.NullPointerException: Cannot invoke "String.length()" because "s" is'
            " null",
            *(f"\tat com.example.orders.Service{j}.handle(Service{j}.java:{j * 7 + 3})"
              for j in range(40)),
            "Caused by: java.io.IOException: Broken pipe",
            *(f"\tat org.apache.catalina.core.Frame{j}.run(Frame{j}.java:{j + 100})"
              for j in range(20)),
            "\t... 12 more"])

    for name, record in (("adv-warnings", warning), ("adv-access", access), ("adv-java", java)):
        out[name] = dest / f"{name}.log"
        out[name].write_bytes(_records(size, record))
    return out


def _records(size: int, record: Callable[[int], str]) -> bytes:
    """``record(0)``, ``record(1)``, ... a line (or lines) each, until ``size`` bytes, cut
    after the last whole line."""
    parts: list[str] = []
    n = k = 0
    while n < size:
        text = record(k)
        parts.append(text)
        n += len(text) + 1
        k += 1
    data = ("\n".join(parts) + "\n").encode("utf-8")[:size]
    return data[: data.rfind(b"\n") + 1]


def _header_runs(r: random.Random, block: str, size: int) -> bytes:
    """6. Runs of traceback headers with nothing, or only frames, between them: bare,
    with a frame each, exception-group headers, time-stamped, two prefixes interleaved,
    with text after the header, a new prefix on every line; and now and then a real
    traceback. Each header once started a parse over the rest of its run."""
    head = "Traceback (most recent call last):"
    frame = '  File "/app/orders/walk.py", line 12, in walk'
    shapes: list[Callable[[int], list[str]]] = [
        lambda k: [head],
        lambda k: [head, frame],
        lambda k: ["  + Exception Group " + head],
        lambda k: [f"2026-11-28T10:00:{k // 10_000 % 60:02d}.{k % 10_000:07d}Z {head}"],
        lambda k: [f"web-{k % 2}  | {head}", f"web-{k % 2}  | {frame}"],
        lambda k: [f"{head} x{k}"],
        lambda k: ["".join(chr(97 + int(d)) for d in str(k)) + " | " + head],
    ]
    chunks: list[str] = []
    n = k = 0
    while n < size:
        if r.random() < 0.05:
            chunk = block
        else:
            shape = r.choice(shapes)
            run = []
            for _ in range(r.randrange(1, 2000)):
                run += shape(k)
                k += 1
            chunk = "\n".join(run)
        chunks.append(chunk)
        n += len(chunk) + 1
    data = ("\n".join(chunks) + "\n").encode("utf-8")[:size]
    return data[: data.rfind(b"\n") + 1]


def first_traceback(text: str) -> str:
    """The first traceback in ``text``: its header through its exception line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith("Traceback (most recent call last):"))
    end = next(i for i in range(start + 1, len(lines))
               if lines[i].strip() and not lines[i].startswith((" ", "\t")))
    return "\n".join(lines[start:end + 1])


# -- the pasted traceback -------------------------------------------------------------------

def _run_nested(depth: int, workdir: Path) -> str:
    """Really run ``depth`` distinct nested functions that read a Latin-1 CSV as UTF-8."""
    import traceback as tbmod

    data = workdir / "export.csv"
    data.write_bytes("id,name\n1,caf\u00e9 cr\u00e8me\n".encode("latin-1"))
    src = ["import csv", "def layer_0(path):",
           "    with open(path, encoding='utf-8', newline='') as fh:",
           "        return list(csv.reader(fh))"]
    for i in range(1, depth):
        src += [f"def layer_{i}(path):", f"    return layer_{i - 1}(path)"]
    path = workdir / f"service_{depth}.py"
    path.write_text("\n".join(src) + "\n")
    ns: dict[str, object] = {}
    exec(compile(path.read_text(), str(path), "exec"), ns)
    try:
        ns[f"layer_{depth - 1}"](str(data))  # type: ignore[operator]
    except UnicodeDecodeError as exc:  # drop this driver's own frame
        text = "".join(tbmod.format_exception(type(exc), exc, exc.__traceback__.tb_next))
    import sysconfig

    text = text.replace(str(path), "/app/orders/service.py")
    text = text.replace(sysconfig.get_paths()["stdlib"], "/usr/local/lib/python3.11")
    return text.rstrip("\n")


def real_traceback(lines: int = 300) -> str:
    """A real traceback of ``lines`` lines: real code with distinct nested frames reading a
    Latin-1 file as UTF-8 (a bundled rule's cause), under the log lines a person pastes
    with it. The deepest that fits, padded at the top with log lines."""
    import tempfile

    head = ["2024-05-14 09:12:31,004 INFO [orders.api] request started path=/api/v1/orders",
            "2024-05-14 09:12:31,020 ERROR [orders.api] Exception in ASGI application"]
    best = ""
    with tempfile.TemporaryDirectory() as tmp:
        for depth in range(1, lines):
            text = _run_nested(depth, Path(tmp))
            if text.count("\n") + 1 + len(head) > lines:
                break
            best = text
    out = head + best.split("\n")
    while len(out) < lines:
        out.insert(1, f"2024-05-14 09:12:30,{len(out):03d} INFO [orders.api] retrying upstream")
    return "\n".join(out) + "\n"


# -- driver -----------------------------------------------------------------------------------

def _stamp(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def ensure(quick: bool = False, with_1g: bool = False, force: bool = False,
           log: Callable[[str], None] = print) -> dict[str, Path]:
    """Generate whatever is missing; returns name -> path of every input."""
    DATA.mkdir(parents=True, exist_ok=True)
    stamp = DATA / "STAMP"
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    want = f"generator {GENERATOR_VERSION} seed {SEED} source {source}\n"
    if force or _stamp(stamp) != want:
        for sub in ("packs", "logs"):
            shutil.rmtree(DATA / sub, ignore_errors=True)
        for f in DATA.glob("patterns-*"):
            f.unlink()
        stamp.write_text(want)
    packs_dir = DATA / "packs"
    logs_dir = DATA / "logs"
    pages = build_pages(max(PACK_SIZES))
    out: dict[str, Path] = {}
    for n in PACK_SIZES:
        dest = packs_dir / f"rules-{n}"
        if not (dest / "PACK.json").exists():
            t0 = time.perf_counter()
            write_pack(_prefix(pages, n), dest)
            log(f"generated pack {dest} ({time.perf_counter() - t0:.1f} s)")
        out[f"pack-{n}"] = dest
    sizes = dict(QUICK_LOG_SIZES if quick else LOG_SIZES)
    missing = {k: v for k, v in sizes.items() if not (logs_dir / f"mixed-{k}.log").exists()}
    if missing:
        # Regenerate up to the largest missing size: the files are prefixes of one stream.
        top = max(missing.values())
        todo = {k: v for k, v in LOG_SIZES.items() if v <= top}
        t0 = time.perf_counter()
        write_logs(pages, todo, logs_dir, core=PACK_SIZES[0])
        log(f"generated logs {sorted(todo)} ({time.perf_counter() - t0:.1f} s)")
    for k in sizes:
        out[f"mixed-{k}"] = logs_dir / f"mixed-{k}.log"
    if with_1g and not quick:
        if not (logs_dir / "mixed-1g.log").exists():
            t0 = time.perf_counter()
            write_1g(logs_dir)
            log(f"generated 1 GB log ({time.perf_counter() - t0:.1f} s)")
        out["mixed-1g"] = logs_dir / "mixed-1g.log"
    # Adversarial inputs: 1 MB ones always (the equivalence check runs on them), 10 MB ones
    # for the speed comparison in a full run.
    for tag, adv_size in (("1m", 1 * MB),) + ((("10m", 10 * MB),) if not quick else ()):
        adv_paths = {n: logs_dir / f"{n}-{tag}.log" for n in ADV_NAMES}
        if not all(p.exists() for p in adv_paths.values()):
            t0 = time.perf_counter()
            made = write_adversarial(_prefix(pages, PACK_SIZES[0]), logs_dir / "tmp-adv",
                                     adv_size)
            for name, p in made.items():
                p.replace(adv_paths[name])
            shutil.rmtree(logs_dir / "tmp-adv", ignore_errors=True)
            log(f"generated {tag} adversarial inputs ({time.perf_counter() - t0:.1f} s)")
        for name, p in adv_paths.items():
            out[f"{name}-{tag}"] = p
    tb = DATA / "tb300.log"
    if not tb.exists():
        tb.write_text(real_traceback(300))
    out["tb300"] = tb
    return out


def _prefix(pages: list[PageSpec], n: int) -> list[PageSpec]:
    total = 0
    for i, p in enumerate(pages):
        total += p.n_regex
        if total == n:
            return pages[: i + 1]
    raise AssertionError(f"no page boundary at {n}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 MB and 10 MB logs, 1 MB adversarial")
    ap.add_argument("--with-1g", action="store_true", help="also the 1 GB log (memory check)")
    ap.add_argument("--force", action="store_true", help="regenerate everything")
    args = ap.parse_args(argv)
    for name, path in ensure(args.quick, args.with_1g, args.force).items():
        size = sum(f.stat().st_size for f in path.rglob("*")) if path.is_dir() else \
            path.stat().st_size
        print(f"{name:16} {size / MB:9.1f} MB  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
