"""Live reproductions for rules/network: provoke each failure on 127.0.0.1, diagnose it.

Every scenario starts a loopback server (TLS with generated certificates, a server that
resets, closes, truncates, hangs or answers 503, or a full accept queue) and runs a real
client (requests / httpx / urllib) in a fresh interpreter. Name resolution runs in a private
mount namespace with its own /etc/hosts and resolv.conf (nameserver 127.0.0.1), so no DNS
query ever leaves the machine.
"""

from __future__ import annotations

import pytest

from kb_engine import mask

from .netlab import ALL, RULES, Pki, Scenario, capture, lab, namespaces_available

try:  # tests/support.py (shared helpers); `python -m pytest` puts the repo root on sys.path
    from tests.support import error_lines, reported_causes, same_error, top_cause
except ImportError:  # pragma: no cover - tests/ itself on sys.path
    from support import error_lines, reported_causes, same_error, top_cause

NEEDS_NS = not namespaces_available()


@pytest.fixture(scope="module")
def pki() -> Pki:
    with lab() as p:
        yield p


def _param(sc: Scenario) -> object:
    marks = []
    if sc.server is not None or sc.slow:
        marks.append(pytest.mark.slow)
    if (sc.hosts is not None or sc.dns is not None) and NEEDS_NS:
        marks.append(pytest.mark.skip(reason="needs root and `unshare -m` for a private resolver"))
    return pytest.param(sc, id=sc.sample.removesuffix(".log"), marks=marks)


@pytest.mark.parametrize("sc", [_param(s) for s in ALL])
def test_network_failure_is_diagnosed(sc: Scenario, pki: Pki) -> None:
    captured = capture(sc, pki)
    assert "Traceback" in captured or "Error" in captured, captured
    if ".pos." in sc.sample:
        assert top_cause(captured) == sc.expect, captured
    else:
        assert sc.expect not in reported_causes(captured), captured
    sample = RULES / sc.sample
    if error_lines(sample.read_text()):
        same_error(captured, sample)
    else:
        # support.error_lines does not treat lower-case exception names such as
        # `socket.gaierror: ...` as error lines; compare the final lines directly.
        assert mask(_last(captured)) == mask(_last(sample.read_text()))


def _last(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1].strip()
