"""Live reproductions for rules/containers: what a Python service prints when a container
limit bites (read-only/full filesystem in a private mount namespace, RLIMIT_NOFILE,
RLIMIT_AS, a non-root user, a missing env var) and gunicorn killing its workers."""

from __future__ import annotations

import os

import pytest

from tests.repro.harness import assert_ranked, namespaces_available
from tests.support import same_error

from .ctlab import ALL, RULES, SYSTEM_PYTHON, Scenario, capture

NO_NS = not namespaces_available()


def _param(sc: Scenario) -> object:
    marks = []
    if sc.slow:
        marks.append(pytest.mark.slow)
    if sc.mount and NO_NS:
        marks.append(pytest.mark.skip(reason="needs root and `unshare -m` to mount a tmpfs"))
    if sc.user is not None and (os.geteuid() != 0 or not os.path.exists(SYSTEM_PYTHON)):
        marks.append(pytest.mark.skip(reason="needs root to switch to an unprivileged user"))
    if "numpy" in sc.code:
        marks.append(pytest.mark.skipif(
            __import__("importlib.util").util.find_spec("numpy") is None, reason="needs numpy"
        ))
    return pytest.param(sc, id=sc.sample.removesuffix(".log"), marks=marks)


@pytest.mark.parametrize("sc", [_param(s) for s in ALL])
def test_container_failure_is_diagnosed(sc: Scenario) -> None:
    captured = capture(sc)
    same_error(captured, RULES / sc.sample)
    assert_ranked(captured, sc.expect, "pos" if ".pos." in sc.sample else "neg")
