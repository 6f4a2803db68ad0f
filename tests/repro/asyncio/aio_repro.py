"""Run the asyncio / pytest-asyncio reproduction scripts in ``cases/`` and (re)write their samples.

Each case runs as ``/app/app.py`` in a fresh temporary directory (``harness.run_case``);
``pytest_*.py`` cases are copied as ``test_app.py`` and run under pytest.

    python3 tests/repro/asyncio/aio_repro.py            # rewrite every sample from a live run
    python3 tests/repro/asyncio/aio_repro.py NAME...    # only these sample files
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root: tests.repro

from tests.repro import harness

CASES = Path(__file__).resolve().parent / "cases"
RULES = harness.RULES / "asyncio"

# sample file name -> (case script, "page/cause", "pos" | "neg")
SAMPLES: dict[str, tuple[str, str, str]] = {}

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
    harness.add_samples(SAMPLES, page, cause, {"": pos}, [neg])


def run_case(script: str, timeout: float = 60) -> str:
    """Run ``cases/<script>.py`` in /app and return its neutralised output."""
    if script.startswith("pytest_"):
        target = "test_app.py"
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", target]
    else:
        target = "app.py"
        argv = [sys.executable, target]
    env = harness.clean_env("PYTEST")
    # pytest stops cutting summary lines to 80 columns when CI is set: print as a
    # developer's terminal does, whether or not this runs in CI.
    env.pop("CI", None)
    env.pop("BUILD_NUMBER", None)
    return harness.run_case(
        CASES, script, target=target, argv=argv, env=env, timeout=timeout, relative=True
    )


if __name__ == "__main__":
    harness.write_samples(SAMPLES, run_case, RULES, sys.argv[1:])
