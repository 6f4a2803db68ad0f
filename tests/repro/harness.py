"""Shared harness for the live reproductions in ``tests/repro/<area>/``.

An area provokes each failure (and its near misses) with the real software, keeps what it
prints as committed samples beside the rules, and checks on every run that

* the sample is still what the software prints (:func:`same_output`), and
* the rules rank the expected cause first for a ``pos`` sample and do not report it at all
  for a ``neg`` one (:func:`assert_ranked`).

A sample table maps a sample file name to ``(case, "page/cause", "pos" | "neg")``; a case is
whatever the area's ``run`` function takes (a script name, a capture function, ...).
:func:`sample_test` turns a table into the parametrized test, :func:`write_samples` rewrites
the samples from live runs (the areas' ``python tests/repro/<area>/<x>.py [NAME...]``).

Area modules make the repository root importable before importing this module
(``sys.path.insert(0, <repo root>)``), so the same import works under pytest and when an area
module runs as a script.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kb_engine import clean_text, mask
from tests.support import (
    REPO,
    RULES,
    error_lines,
    reported_causes,
    rules,
    same_error,
    top_cause,
)

__all__ = ["REPO", "RULES"]  # re-exported: the repository root and its rules/

K = TypeVar("K")
# sample file name -> (case, "page/cause", "pos" | "neg")
Samples = Mapping[str, tuple[K, str, str]]

SITE_PACKAGES = "/usr/local/lib/python3.11/site-packages"
STDLIB = "/usr/local/lib/python3.11"


# ------------------------------------------------------------------------ sample tables
def add_samples(
    samples: dict[str, tuple[K, str, str]],
    page: str,
    cause: str,
    positives: Mapping[str, K],
    negatives: Sequence[K],
    *,
    folder: str = "",
) -> None:
    """Register the samples of ``page/cause``.

    ``positives`` maps a label to a case: ``<page>.<cause>.pos.log`` for label ``""``,
    ``<page>.<cause>.pos.<label>.log`` otherwise. ``negatives`` are near misses:
    ``<page>.<cause>.neg.log``, then ``.neg.2.log``, ``.neg.3.log``, ... ``folder`` prefixes
    the names (``uvicorn/...``) for tables that span several rule folders.
    """
    prefix = f"{folder}/" if folder else ""
    for label, case in positives.items():
        name = f"{prefix}{page}.{cause}.pos{'.' + label if label else ''}.log"
        samples[name] = (case, f"{page}/{cause}", "pos")
    for i, case in enumerate(negatives):
        name = f"{prefix}{page}.{cause}.neg{'.' + str(i + 1) if i else ''}.log"
        samples[name] = (case, f"{page}/{cause}", "neg")


# ------------------------------------------------------------------ running case scripts
def neutralise(text: str, workdir: str, *, relative: bool = False) -> str:
    """Rewrite this machine's paths to the neutral forms used in committed samples: the
    interpreter's site-packages and stdlib to ``/usr/local/lib/python3.11/...``, the work dir
    to ``/app``. ``relative``: also the site-packages/stdlib paths as seen relative to the
    work dir (pytest prints some paths that way)."""
    paths = sysconfig.get_paths()
    site, stdlib = paths["purelib"], paths["stdlib"]
    pairs = [
        *([(os.path.relpath(site, workdir), SITE_PACKAGES)] if relative else []),
        (site, SITE_PACKAGES),
        *([(os.path.relpath(stdlib, workdir), STDLIB)] if relative else []),
        (stdlib, STDLIB),
        (os.path.realpath(workdir), "/app"),
        (workdir, "/app"),
    ]
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def clean_env(*drop: str) -> dict[str, str]:
    """This process's environment without ``PYTHON*`` (and variables starting with any of
    ``drop``), with ``PYTHONDONTWRITEBYTECODE=1``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", *drop))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(argv: Sequence[str], cwd: str | Path, env: Mapping[str, str], timeout: float) -> str:
    """Run ``argv``; return stdout and stderr interleaved, as a terminal would show them."""
    proc = subprocess.run(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc.stdout


def run_case(
    cases: Path,
    script: str,
    *,
    helpers: Iterable[str] = (),
    target: str = "app.py",
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    runs: int = 1,
    timeout: float = 60,
    relative: bool = False,
) -> str:
    """Run ``cases/<script>.py`` as ``/app/<target>`` and return its neutralised output.

    The script is copied to a fresh temporary directory (with the ``helpers`` files from
    ``cases``) and run there with ``argv`` (default: this interpreter on ``target``) and
    ``env`` (default: :func:`clean_env`). With ``runs`` > 1 it runs that many times and the
    output of the last run is returned.
    """
    with tempfile.TemporaryDirectory(prefix="kb-repro-") as tmp:
        for name in helpers:
            shutil.copy(cases / name, Path(tmp) / name)
        shutil.copy(cases / f"{script}.py", Path(tmp) / target)
        out = ""
        for _ in range(runs):
            out = run(argv or [sys.executable, target], tmp, env or clean_env(), timeout)
        return neutralise(out, tmp, relative=relative)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def namespaces_available() -> bool:
    """True when this process may create private mount namespaces (root and ``unshare -m``)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=10)
    return probe.returncode == 0


# ------------------------------------------------------------------- regenerating samples
def write_samples(
    samples: Samples[K],
    run_one: Callable[[K], str],
    rules_dir: Path,
    names: Sequence[str] | None = None,
    *,
    substring: bool = False,
) -> None:
    """Rewrite the samples from live runs (each case runs once, its output ends in a newline).

    ``names``: only these sample files (``substring``: only those whose name contains one of
    them); none or empty: all of them.
    """
    cache: dict[K, str] = {}
    for name in sorted(samples):
        if names and not any(n in name if substring else n == name for n in names):
            continue
        case = samples[name][0]
        if case not in cache:
            cache[case] = run_one(case)
        text = cache[case]
        (rules_dir / name).write_text(text if text.endswith("\n") else text + "\n")
        print("wrote", rules_dir / name)


# ----------------------------------------------------------------------------- the checks
def same_lines(captured: str, sample: Path) -> None:
    """Every masked non-blank line of the sample must appear in the capture."""
    text = sample.read_text(encoding="utf-8")
    got = {mask(line.strip()) for line in clean_text(captured).split("\n")}
    expected = [mask(line.strip()) for line in clean_text(text).split("\n") if line.strip()]
    missing = [line for line in expected if line not in got]
    assert expected, f"{sample.name} is empty"
    assert not missing, f"{sample.name}: no longer printed:\n  " + "\n  ".join(missing)


def headline(text: str) -> str | None:
    """The engine's masked headline of a text."""
    head: str | None = rules().diagnose(text).to_dict()["input"]["headline"]
    return head


def same_headline(captured: str, sample: Path) -> None:
    """The capture has the same engine headline as the sample."""
    want, got = headline(sample.read_text(encoding="utf-8")), headline(captured)
    assert got == want, f"{sample.name}: headline {got!r}, the sample's is {want!r}"


def same_output(
    captured: str, sample: Path, fallback: Callable[[str, Path], None] = same_lines
) -> None:
    """``support.same_error`` when the sample has error-looking lines; otherwise ``fallback``
    (default: every masked non-blank line of the sample is still printed)."""
    if error_lines(sample.read_text(encoding="utf-8")):
        same_error(captured, sample)
    else:
        fallback(captured, sample)


def assert_ranked(captured: str, cause: str, kind: str) -> None:
    """``pos``: ``cause`` is the top diagnosis; ``neg``: ``cause`` is not reported at all."""
    if kind == "pos":
        top = top_cause(captured)
        assert top == cause, f"top cause {top!r}, expected {cause!r}; captured:\n{captured}"
    else:
        found = reported_causes(captured)
        assert cause not in found, f"{cause!r} reported ({found}); captured:\n{captured}"


def require_service(problem: str | None, hint: str = "run .ci/services.sh to start it") -> None:
    """Nothing when ``problem`` is None; else skip the test (with ``hint``), or fail it under
    ``CI=true`` (CI must start the services with ``.ci/services.sh``)."""
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{problem} (CI must run .ci/services.sh first)")
    pytest.skip(f"{problem}; {hint}")


def sample_test(
    samples: Samples[K],
    run_one: Callable[[K], str],
    rules_dir: Path,
    *,
    fallback: Callable[[str, Path], None] = same_lines,
    require: Callable[[K], None] | None = None,
) -> Callable[[str], None]:
    """The parametrized test (one item per sample name, sorted) of a sample table.

    For each sample: ``require(case)`` (may skip), capture ``run_one(case)`` (once per case),
    check :func:`same_output` against the committed sample, then :func:`assert_ranked`.
    Assign the result to a ``test_*`` name in the area's test module.
    """
    capture = functools.cache(run_one)

    @pytest.mark.parametrize("name", sorted(samples))
    def test(name: str) -> None:
        case, cause, kind = samples[name]
        if require is not None:
            require(case)
        captured = capture(case)
        same_output(captured, rules_dir / name, fallback)
        assert_ranked(captured, cause, kind)

    return test


def call(fn: Callable[[], Any]) -> Any:
    """``fn()``: the ``run_one`` of tables whose cases are capture functions."""
    return fn()
