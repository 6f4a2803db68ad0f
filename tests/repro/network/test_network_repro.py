"""Live reproductions for rules/network: provoke each failure on 127.0.0.1, diagnose it.

Every scenario starts a loopback server (TLS with generated certificates, a server that
resets, closes, truncates, hangs or answers 503, or a full accept queue) and runs a real
client (requests / httpx / urllib) in a fresh interpreter. Name resolution runs in a private
mount namespace with its own /etc/hosts and resolv.conf (nameserver 127.0.0.1), so no DNS
query ever leaves the machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kb_engine import mask
from tests.repro.harness import assert_ranked, namespaces_available, same_output

from .netlab import ALL, RULES, Pki, Scenario, capture, lab

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
    assert_ranked(captured, sc.expect, "pos" if ".pos." in sc.sample else "neg")
    same_output(captured, RULES / sc.sample, fallback=_same_last_line)


def _same_last_line(captured: str, sample: Path) -> None:
    # support.error_lines does not treat lower-case exception names such as
    # `socket.gaierror: ...` as error lines; compare the final lines directly.
    assert mask(_last(captured)) == mask(_last(sample.read_text()))


def _last(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1].strip()
