"""Live reproductions of FastAPI dependency-injection failures (rules/fastapi).

Every case runs real FastAPI under a real uvicorn on 127.0.0.1 (or a real pytest run for the
override case), captures what an on-call engineer would paste, and checks that

- the committed sample still shows the same error lines (``same_error``), and
- the rules rank the expected cause first (pos) or do not report it at all (neg).

Cases run against the current FastAPI of the shared environment and, where the output differs,
against FastAPI 0.110.3 from a cached venv (``fxharness.old_python``).

``KB_WRITE_SAMPLES=1 pytest tests/repro/fastapi`` rewrites the committed samples.
"""

from __future__ import annotations

import functools
import importlib
import os
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import fxharness as fx
import httpx
import pytest

from kb_engine import mask

try:  # `python -m pytest` from the repo root puts it on sys.path
    from tests.support import error_lines, reported_causes, same_error, top_cause
except ImportError:  # pragma: no cover - run from another directory
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from tests.support import error_lines, reported_causes, same_error, top_cause

P = fx.PAGE


# --- producers ---------------------------------------------------------------------------------
_VENV_ERROR: list[str] = []


@functools.cache
def python_for(version: str) -> str:
    if version == "new":
        return fx.PY
    if not _VENV_ERROR:
        try:
            return fx.old_python()
        except fx.VenvUnavailable as exc:  # only when PyPI cannot be reached
            _VENV_ERROR.append(str(exc))
    pytest.skip(f"FastAPI 0.110 venv unavailable: {_VENV_ERROR[0]}")


@functools.cache
def startup(version: str, module: str) -> str:
    return fx.startup_failure(python_for(version), module)


LAB_REQUESTS = (
    ("GET", "/ok"),
    ("GET", "/me"),
    ("GET", "/me/name"),
    ("GET", "/profile"),
    ("GET", "/profile/name"),
    ("GET", "/orders/1"),
    ("POST", "/orders"),
    ("GET", "/report"),
    ("GET", "/report/async"),
    ("GET", "/orders"),
    ("GET", "/search"),
    ("GET", "/stats"),
    ("GET", "/stats/orm"),
    ("GET", "/invoices"),
)


@functools.cache
def lab(version: str) -> tuple[str, dict[str, str]]:
    """One uvicorn run of apps/lab.py: (server log, response body per 'METHOD path')."""
    bodies: dict[str, str] = {}

    def client(c: httpx.Client) -> str:
        for method, path in LAB_REQUESTS:
            # a fresh connection per request: uvicorn closes the connection after a 500
            r = c.request(method, path, headers={"Connection": "close"})
            bodies[f"{method} {path}"] = r.text
        return ""

    log = fx.serve(
        python_for(version),
        "lab:app",
        client,
        env={"LAB_DB": "lab.db"},
        settle='"GET /invoices HTTP/1.1"',
        quiet_after_each=True,
    )
    return log, bodies


def lab_section(version: str, method: str, path: str, with_body: bool = False) -> str:
    log, bodies = lab(version)
    text = fx.request_section(log, method, path)
    return text + bodies[f"{method} {path}"] + "\n" if with_body else text


@functools.cache
def healthy(version: str) -> str:
    """A normal start-up, one 200 and a clean shutdown."""
    return fx.serve(
        python_for(version),
        "lab:app",
        lambda c: (c.get("/ok"), "")[1],
        env={"LAB_DB": "lab.db"},
        settle='"GET /ok HTTP/1.1"',
    )


@functools.cache
def script(version: str, name: str) -> str:
    """Output of ``python apps/NAME.py`` run as /app/NAME.py."""
    py = python_for(version)
    d = fx.app_dir(f"{name}.py")
    r = subprocess.run(
        [py, f"{d}/{name}.py"], cwd=d, capture_output=True, text=True, timeout=60, check=False
    )
    shutil.rmtree(d, ignore_errors=True)
    return fx.scrub(r.stdout + r.stderr, py, d)


OVERRIDE_FILES = (
    "ordersvc.py",
    "ordersvc_db.py",
    "ordersvc_deps.py",
    "check_override_wrong.py",
    "check_override_right.py",
)


@functools.cache
def override_run(version: str, which: str) -> str:
    """A real pytest run of apps/check_override_WHICH.py (pytest's own default output)."""
    py = python_for(version)
    d = fx.app_dir(*OVERRIDE_FILES)
    (d / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DATABASE_URL")}
    env.update(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", NO_COLOR="1")
    r = subprocess.run(
        [py, "-m", "pytest", "-p", "no:cacheprovider", f"check_override_{which}.py"],
        cwd=d,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    shutil.rmtree(d, ignore_errors=True)
    out = fx.scrub(r.stdout + r.stderr, py, d)
    # pytest prints its own run time on the summary line; it is not part of the failure
    return out


# --- the case table ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    sample: str
    cause: str
    polarity: str  # "pos" or "neg"
    produce: Callable[[], str]
    old: bool = False  # needs the FastAPI 0.110 venv


def _cases() -> list[Case]:
    c: list[Case] = []

    def add(
        cause: str, pol: str, label: str, produce: Callable[[], str], old: bool = False
    ) -> None:
        name = f"{P}.{cause}.{pol}{'.' + label if label else ''}.log"
        c.append(Case(name, f"{P}/{cause}", pol, produce, old))

    for version, label in (("new", ""), ("old", "fastapi0110")):
        old = version == "old"

        def s(module: str, v: str = version) -> Callable[[], str]:
            return lambda: startup(v, module)

        def sec(method: str, path: str, v: str = version, body: bool = False) -> Callable[[], str]:
            return lambda: lab_section(v, method, path, body)

        add("depends-called", "pos", label, s("called"), old)
        add("depends-instance", "pos", label, s("instance"), old)
        add("dependencies-list-without-depends", "pos", label, s("deplist"), old)
        add("annotated-and-default", "pos", label, s("annodefault"), old)
        add("depends-as-annotation", "pos", label, s("annotation"), old)
        add("depends-run-sync-kwarg", "pos", label, s("runsync"), old)
        add("dependency-value-wrong-shape", "pos", label, sec("GET", "/me/name"), old)
        add("coroutine-not-awaited", "pos", label, sec("GET", "/profile"), old)
        add("yield-swallows-exception", "pos", label, sec("GET", "/orders/1"), old)
        add("yield-twice", "pos", label, sec("GET", "/report"), old)
        add("class-params-required", "pos", label, sec("GET", "/orders", body=True), old)
        add("sqlite-thread-check", "pos", label, sec("GET", "/stats"), old)
        add("depends-shadowed-or-missing", "pos", label, sec("GET", "/invoices"), old)
        add("override-key-ignored", "pos", label, lambda v=version: override_run(v, "wrong"), old)
    # identical output on both versions apart from paths: one sample each, both versions tested
    add("circular-dependency", "pos", "", lambda: startup("new", "circular"))
    add("async-yield-syntax", "pos", "", lambda: startup("new", "asyncyield"))
    add("async-yield-syntax", "pos", "fastapi0110", lambda: startup("old", "asyncyield"), True)
    # second shapes of the same causes
    add(
        "coroutine-not-awaited",
        "pos",
        "attribute",
        lambda: lab_section("new", "GET", "/profile/name"),
    )
    add("yield-swallows-exception", "pos", "post", lambda: lab_section("new", "POST", "/orders"))
    add("yield-twice", "pos", "async", lambda: lab_section("new", "GET", "/report/async"))
    add("sqlite-thread-check", "pos", "sqlalchemy", lambda: lab_section("new", "GET", "/stats/orm"))

    # near misses and healthy output
    add("depends-called", "neg", "", lambda: startup("new", "instance"))
    add("depends-instance", "neg", "", lambda: startup("new", "called"))
    add(
        "dependencies-list-without-depends",
        "neg",
        "",
        lambda: lab_section("new", "GET", "/invoices"),
    )
    add("annotated-and-default", "neg", "", lambda: healthy("new"))
    add("depends-as-annotation", "neg", "", lambda: startup("new", "annodefault"))
    add("depends-run-sync-kwarg", "neg", "", lambda: startup("new", "instance"))
    add("dependency-value-wrong-shape", "neg", "", lambda: lab_section("new", "GET", "/me"))
    add("coroutine-not-awaited", "neg", "", lambda: lab_section("new", "GET", "/me"))
    add("yield-swallows-exception", "neg", "", lambda: startup("old", "annotation"), True)
    add("yield-twice", "neg", "", lambda: lab_section("new", "GET", "/orders/1"))
    add("class-params-required", "neg", "", lambda: lab_section("new", "GET", "/search", True))
    add("sqlite-thread-check", "neg", "", lambda: script("new", "plain_sqlite_threads"))
    add("depends-shadowed-or-missing", "neg", "", lambda: startup("new", "deplist"))
    add("override-key-ignored", "neg", "", lambda: override_run("new", "right"))
    add("circular-dependency", "neg", "", lambda: script("new", "plain_recursion"))
    add("async-yield-syntax", "neg", "", lambda: startup("new", "awaitindef"))
    return c


CASES = {case.sample: case for case in _cases()}


def check(case: Case, captured: str) -> None:
    path = fx.RULES / case.sample
    if fx.WRITE:
        fx.write_or_read(case.sample, captured)
    committed = path.read_text(encoding="utf-8")
    if error_lines(committed):
        same_error(captured, path)
    # pytest prints the exception as "E   <type>: <message>", which error_lines() does not see
    expected_e = [mask(line) for line in committed.splitlines() if line.startswith("E   ")]
    got_e = {mask(line) for line in captured.splitlines() if line.startswith("E   ")}
    assert [line for line in expected_e if line not in got_e] == []
    if case.polarity == "pos":
        assert top_cause(captured) == case.cause, reported_causes(captured)
    else:
        assert case.cause not in reported_causes(captured)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if not c.old))
def test_sample_reproduces(name: str) -> None:
    case = CASES[name]
    check(case, case.produce())


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.old))
def test_sample_reproduces_fastapi_0110(name: str) -> None:
    case = CASES[name]
    check(case, case.produce())


@pytest.mark.parametrize(
    ("module", "cause"),
    [
        ("circular", "circular-dependency"),
        ("awaitindef", None),
        ("runsync", "depends-run-sync-kwarg"),
    ],
)
def test_old_fastapi_same_diagnosis(module: str, cause: str | None) -> None:
    """Cases whose FastAPI 0.110 output has no sample of its own still diagnose the same."""
    captured = startup("old", module)
    got = top_cause(captured)
    if cause is None:
        assert got is None or not got.startswith(P + "/"), got
    else:
        assert got == f"{P}/{cause}"


def test_healthy_start_and_200_are_not_diagnosed() -> None:
    for version in ("new", "old"):
        log = healthy(version)
        assert '"GET /ok HTTP/1.1" 200 OK' in log
        assert reported_causes(log) == [], version


def test_working_override_passes() -> None:
    out = override_run("new", "right")
    assert "1 passed" in out
    assert reported_causes(out) == []


# --- in process (TestClient), current FastAPI ---------------------------------------------------
@pytest.fixture(scope="module")
def lab_module(tmp_path_factory: pytest.TempPathFactory):
    os.environ["LAB_DB"] = str(tmp_path_factory.mktemp("lab") / "lab.db")
    sys.path.insert(0, str(fx.APPS))
    for name in ("lab", "shadowed"):  # never reuse a same-named module of another test area
        sys.modules.pop(name, None)
    try:
        yield importlib.import_module("lab")
    finally:
        sys.path.remove(str(fx.APPS))
        os.environ.pop("LAB_DB", None)


@pytest.mark.parametrize(
    ("method", "path", "cause"),
    [
        ("GET", "/me/name", "dependency-value-wrong-shape"),
        ("GET", "/orders/1", "yield-swallows-exception"),
        ("GET", "/stats", "sqlite-thread-check"),
        ("GET", "/invoices", "depends-shadowed-or-missing"),
    ],
)
def test_testclient_traceback(lab_module, method: str, path: str, cause: str) -> None:
    """The traceback TestClient raises in a test diagnoses like the server log does."""
    from fastapi.testclient import TestClient

    with TestClient(lab_module.app) as client, pytest.raises(Exception) as info:
        client.request(method, path)
    text = "".join(traceback.format_exception(info.value))
    assert top_cause(text) == f"{P}/{cause}"


@pytest.mark.parametrize(
    ("module", "cause"),
    [
        ("called", "depends-called"),
        ("instance", "depends-instance"),
        ("deplist", "dependencies-list-without-depends"),
        ("annodefault", "annotated-and-default"),
        ("circular", "circular-dependency"),
    ],
)
def test_import_traceback_in_process(module: str, cause: str) -> None:
    """Importing the app in a test (no uvicorn) fails the same way and diagnoses the same."""
    sys.path.insert(0, str(fx.APPS))
    sys.modules.pop(module, None)  # never reuse a same-named module of another test area
    try:
        with pytest.raises((TypeError, AttributeError, AssertionError, RecursionError)) as info:
            importlib.import_module(module)
    finally:
        sys.path.remove(str(fx.APPS))
        sys.modules.pop(module, None)
    text = "".join(traceback.format_exception(info.value))
    assert top_cause(text) == f"{P}/{cause}"


# --- the runbook's incident: pool exhaustion under a burst, then the fix -------------------------
@pytest.mark.slow
def test_incident_pool_exhaustion_and_fix() -> None:
    py = python_for("new")
    # 1. the incident as written: async def endpoint + close() after yield without finally
    incident = fx.pool_burst(py, "orders_incident")
    log = str(incident["log"])
    if fx.WRITE:
        fx.write_or_read(CASES_POOL["incident"].sample, log)
    assert "QueuePool limit of size 1 overflow 0 reached" in log
    assert 500 in incident["burst"]  # type: ignore[operator]
    assert incident["pool_after"]["checked_out"] == 1  # type: ignore[index]  # never returned
    assert incident["after"] == 500  # even a lone request fails once the pool is leaked
    causes = reported_causes(log)
    assert causes[0] == f"{P}/sync-db-in-async-endpoint"
    assert f"{P}/session-leak" in causes
    check(CASES_POOL["incident"], log)

    # 2. leak alone (plain def endpoint): the pool never recovers
    leak = fx.pool_burst(py, "orders_leak")
    if fx.WRITE:
        fx.write_or_read(CASES_POOL["leak"].sample, str(leak["log"]))
        fx.write_or_read(CASES_POOL["leak-neg"].sample, str(leak["log"]))
    assert leak["pool_after"]["checked_out"] == 1  # type: ignore[index]
    assert leak["after"] == 500
    check(CASES_POOL["leak"], str(leak["log"]))
    check(CASES_POOL["leak-neg"], str(leak["log"]))

    # 3. try/finally alone is not enough while the endpoint stays async def: no leak (the pool
    #    is back to 0 checked out), but the burst still times out on the blocked event loop
    blocking = fx.pool_burst(py, "orders_blocking")
    if fx.WRITE:
        fx.write_or_read(CASES_POOL["blocking"].sample, str(blocking["log"]))
    assert 500 in blocking["burst"]  # type: ignore[operator]
    assert blocking["pool_after"]["checked_out"] == 0  # type: ignore[index]
    assert blocking["after"] == 200
    check(CASES_POOL["blocking"], str(blocking["log"]))

    # 4. the fix: try/finally + def endpoint. Same load: no error, pool fully checked in.
    fixed = fx.pool_burst(py, "orders_fixed")
    if fx.WRITE:
        fx.write_or_read(CASES_POOL["fixed"].sample, str(fixed["log"]))
    assert set(fixed["burst"]) <= {200, 404}, fixed["burst"]  # type: ignore[arg-type]
    assert fixed["pool_after"] == {  # type: ignore[comparison-overlap]
        "status": "Pool size: 1  Connections in pool: 1 Current Overflow: 0 "
        "Current Checked out connections: 0",
        "checked_out": 0,
    }
    assert "QueuePool" not in str(fixed["log"])
    check(CASES_POOL["fixed"], str(fixed["log"]))


def _pool_case(cause: str, pol: str, label: str = "") -> Case:
    name = f"{P}.{cause}.{pol}{'.' + label if label else ''}.log"
    return Case(name, f"{P}/{cause}", pol, lambda: "")


CASES_POOL = {
    "incident": _pool_case("sync-db-in-async-endpoint", "pos", "incident"),
    "blocking": _pool_case("sync-db-in-async-endpoint", "pos"),
    "leak": _pool_case("session-leak", "pos"),
    "leak-neg": _pool_case("sync-db-in-async-endpoint", "neg"),
    "fixed": _pool_case("session-leak", "neg"),
}


# --- claims of the founding runbook that turned out false: the working behaviour ----------------
@pytest.mark.parametrize("version", ["new", "old"])
def test_claims_check(version: str) -> None:
    """apps/claims_check.py exercises what the runbook said would fail (docs/fastapi-claims.md)."""
    import json

    text = script(version, "claims_check")
    out, _ = json.JSONDecoder().raw_decode(text[text.index("{") :])
    assert out["sync_generator_in_async_endpoint"] == [
        200,
        {"db": "real-db", "user": "real-user", "page": 3, "ok": True},
    ]
    assert out["dependency_threads"] == {
        "order": ["setup", "endpoint", "teardown"],
        "setup_off_endpoint_thread": True,
        "teardown_off_endpoint_thread": True,
    }
    assert out["partial"] == {"name": "from-partial"}
    assert out["lambda"] == {"name": "from-lambda"}
    assert out["openapi_status"] == 200
    assert out["cache_two_requests"] == [{"a": 1, "b": 1, "c": 2}, {"a": 3, "b": 3, "c": 4}]
    assert out["comprehension"] == 200
    assert out["lambda_overrides"]["db"] == "lambda-override"
    assert out["lambda_overrides"]["user"] == "sync-lambda-for-async"
    assert out["mismatched_signature_overrides"]["db"] == "async-override-for-sync-generator"
    assert out["mismatched_signature_overrides"]["user"] == "sync-override-for-async-x"
    assert out["partial_override"]["db"] == "partial-override"
    assert out["wrong_key_override_ignored"]["db"] == "real-db"
    assert out["run_sync"] == "TypeError: Depends() got an unexpected keyword argument 'run_sync'"
    assert out["docs"] == [200, "text/html; charset=utf-8"]
