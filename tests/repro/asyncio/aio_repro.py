"""Run the asyncio / pytest-asyncio reproduction scripts in ``cases/`` and (re)write their samples.

Each case script is copied to a fresh temporary directory as ``app.py`` and run with the
current interpreter (``pytest_*.py`` cases are copied as ``test_app.py`` and run under
pytest); stdout and stderr are captured interleaved, as a terminal would show them.
Machine paths are rewritten to the neutral forms the samples use (``/app``,
``/usr/local/lib/python3.11/...``).

    python3 tests/repro/asyncio/aio_repro.py          # rewrite every sample from a live run
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
RULES = HERE.parents[2] / "rules" / "asyncio"
SHARED: tuple[str, ...] = ()

# sample file name -> (case script, expected cause, "pos" | "neg")
SAMPLES: dict[str, tuple[str, str, str]] = {}


def sample(name: str, script: str, cause: str, kind: str) -> None:
    SAMPLES[name] = (script, cause, kind)


L, T, PA = "asyncio-event-loop", "asyncio-tasks", "pytest-asyncio"

for page, cause, pos, neg in [
    (L, "loop-closed", "loop_closed", "run_nested"),
    (L, "run-inside-running-loop", "run_nested", "no_running_loop"),
    (L, "primitive-bound-to-other-loop", "primitive_other_loop", "future_other_loop"),
    (L, "future-attached-to-other-loop", "future_other_loop", "pytest_shared_fixture"),
    (L, "no-running-loop", "no_running_loop", "loop_closed"),
    (T, "coroutine-never-awaited", "never_awaited", "run_nested"),
    (T, "task-destroyed-pending", "task_destroyed", "task_exception"),
    (T, "task-exception-never-retrieved", "task_exception", "task_destroyed"),
    (T, "blocking-call-in-coroutine", "slow_callback", "healthy_debug"),
    (T, "wait-for-timeout", "wait_for_timeout", "futures_timeout"),
    (PA, "fixture-loop-scope-mismatch", "pytest_scope_mismatch", "pytest_event_loop"),
    (PA, "shared-fixture-other-loop", "pytest_shared_fixture", "future_other_loop"),
    (PA, "async-fixture-plain-decorator", "pytest_plain_fixture", "pytest_no_marker"),
    (PA, "async-test-not-collected", "pytest_no_marker", "pytest_plain_fixture"),
    (PA, "event-loop-fixture-removed", "pytest_event_loop", "pytest_scope_mismatch"),
]:
    sample(f"{page}.{cause}.pos.log", pos, f"{page}/{cause}", "pos")
    sample(f"{page}.{cause}.neg.log", neg, f"{page}/{cause}", "neg")


def neutralise(text: str, workdir: str) -> str:
    """Rewrite this machine's paths to the neutral forms used in committed samples."""
    paths = sysconfig.get_paths()
    site, stdlib = paths["purelib"], paths["stdlib"]
    pairs = [
        (os.path.relpath(site, workdir), "/usr/local/lib/python3.11/site-packages"),
        (site, "/usr/local/lib/python3.11/site-packages"),
        (os.path.relpath(stdlib, workdir), "/usr/local/lib/python3.11"),
        (stdlib, "/usr/local/lib/python3.11"),
        (os.path.realpath(workdir), "/app"),
        (workdir, "/app"),
    ]
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def run_case(script: str, timeout: float = 60) -> str:
    """Run ``cases/<script>.py`` in /app and return its neutralised output."""
    with tempfile.TemporaryDirectory(prefix="kb-repro-") as tmp:
        for name in SHARED:
            shutil.copy(CASES / name, Path(tmp) / name)
        if script.startswith("pytest_"):
            target = "test_app.py"
            cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target]
        else:
            target = "app.py"
            cmd = [sys.executable, target]
        shutil.copy(CASES / f"{script}.py", Path(tmp) / target)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST"))}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        # pytest stops cutting summary lines to 80 columns when CI is set: print as a
        # developer's terminal does, whether or not this runs in CI.
        env.pop("CI", None)
        env.pop("BUILD_NUMBER", None)
        proc = subprocess.run(
            cmd,
            cwd=tmp,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        return neutralise(proc.stdout, tmp)


def write_samples(names: list[str] | None = None) -> None:
    cache: dict[str, str] = {}
    for name, (script, _cause, _kind) in SAMPLES.items():
        if names and name not in names:
            continue
        if script not in cache:
            cache[script] = run_case(script)
        (RULES / name).write_text(cache[script])
        print("wrote", RULES / name)


if __name__ == "__main__":
    write_samples(sys.argv[1:] or None)
