"""Harness for the FastAPI dependency-injection reproductions.

Runs the apps in ``apps/`` under a real uvicorn on 127.0.0.1 (current FastAPI from the shared
environment, or FastAPI 0.110 from a cached venv), with bounded waits everywhere, and returns
what an on-call engineer would paste: the server log (plus the client's view for 4xx bodies).
Machine paths are scrubbed to the neutral forms used in committed samples.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
REPO = HERE.parents[2]
RULES = REPO / "rules" / "fastapi"
PAGE = "fastapi-dependencies"
PY = sys.executable

VENV_ROOT = Path(os.environ.get("KB_TEST_VENVS", Path.home() / ".cache" / "kb-test-venvs"))
# FastAPI 0.110.3 with dependencies of its time (April 2024); pytest for the override case.
OLD_PINS = (
    "fastapi==0.110.3",
    "starlette==0.37.2",
    "pydantic==2.7.4",
    "httpx==0.27.2",
    "uvicorn==0.29.0",
    "sqlalchemy==2.0.29",
    "pytest==8.2.2",
)
WRITE = os.environ.get("KB_WRITE_SAMPLES") == "1"


class VenvUnavailable(RuntimeError):
    """The old-FastAPI venv could not be created (no registry access)."""


def old_python() -> str:
    """Python of a cached venv with FastAPI 0.110 (created on first use)."""
    d = VENV_ROOT / "fastapi-0.110"
    marker = d / ".kb-pins"
    want = "\n".join(OLD_PINS)
    py = d / "bin" / "python"
    if marker.exists() and marker.read_text() == want and py.exists():
        return str(py)
    try:
        VENV_ROOT.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [PY, "-m", "venv", "--clear", str(d)], check=True, timeout=120, capture_output=True
        )
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", *OLD_PINS],
            check=True,
            timeout=600,
            capture_output=True,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        raise VenvUnavailable(
            f"cannot create {d}: {exc} {detail.decode(errors='replace')[-500:]}"
        ) from exc
    marker.write_text(want)
    return str(py)


def versions(python: str) -> dict[str, str]:
    code = (
        "import fastapi, starlette, pydantic, sqlalchemy, uvicorn;"
        "print(fastapi.__version__, starlette.__version__, pydantic.VERSION,"
        " sqlalchemy.__version__, uvicorn.__version__)"
    )
    out = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    return dict(
        zip(("fastapi", "starlette", "pydantic", "sqlalchemy", "uvicorn"), out, strict=True)
    )


# --- scrubbing ---------------------------------------------------------------------------------
def _prefixes(python: str) -> list[tuple[str, str]]:
    code = "import sys, sysconfig; print(sysconfig.get_paths()['purelib']); print(sys.prefix)"
    if python == PY:
        purelib, prefix = sysconfig.get_paths()["purelib"], sys.prefix
    else:
        purelib, prefix = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, timeout=60, check=True
        ).stdout.split()
    return [
        (purelib, "/usr/local/lib/python3.11/site-packages"),
        (sysconfig.get_paths()["purelib"], "/usr/local/lib/python3.11/site-packages"),
        (sysconfig.get_paths()["stdlib"], "/usr/local/lib/python3.11"),
        (f"{prefix}/bin", "/usr/local/bin"),
    ]


def scrub(text: str, python: str, app_dir: Path) -> str:
    for real, neutral in sorted(_prefixes(python), key=lambda p: len(p[0]), reverse=True):
        text = text.replace(real, neutral)
    text = text.replace(str(app_dir), "/app")
    text = re.sub(
        r"/root/\.pyenv/versions/3\.\d+\.\d+/lib/python(3\.\d+)", r"/usr/local/lib/python\1", text
    )
    return text


# --- servers -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_dir(*names: str) -> Path:
    """A fresh temp copy of apps/ (so paths scrub to /app and state files stay out of the repo)."""
    d = Path(tempfile.mkdtemp(prefix="kb-fastapi-"))
    for name in names or tuple(p.name for p in APPS.glob("*.py")):
        shutil.copy(APPS / name, d / name)
    return d


class Uvicorn:
    """``python -m uvicorn MODULE:app`` on 127.0.0.1; the log goes to a file, waits are bounded."""

    def __init__(
        self, python: str, target: str, cwd: Path, env: dict[str, str] | None = None
    ) -> None:
        self.port = free_port()
        self.cwd = cwd
        self.log_path = cwd / f"uvicorn-{self.port}.log"
        full_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        full_env.update({"PYTHONUNBUFFERED": "1", "NO_COLOR": "1", **(env or {})})
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [python, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=cwd,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self, timeout: float = 20.0) -> bool:
        """True once the port accepts; False if uvicorn exited (e.g. the app failed to import)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def wait_for(self, text: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log():
                return True
            time.sleep(0.05)
        return False

    def wait_quiet(self, quiet: float = 0.25, timeout: float = 3.0) -> None:
        """Wait until the log stops growing: an error logged after the response (a yield
        dependency's cleanup) must land before the next request's access line."""
        deadline = time.monotonic() + timeout
        size, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now = self.log_path.stat().st_size
            if now != size:
                size, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> str:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        self._log.close()
        return self.log()


def startup_failure(python: str, module: str) -> str:
    """uvicorn's output when MODULE:app fails at import (route registration) time."""
    d = app_dir(f"{module}.py")
    srv = Uvicorn(python, f"{module}:app", d)
    try:
        if srv.ready(timeout=30):
            raise AssertionError(f"{module}:app started although it should fail at import")
    finally:
        log = srv.stop()
        shutil.rmtree(d, ignore_errors=True)
    return scrub(log, python, d)


def serve(
    python: str,
    target: str,
    client: Callable[[httpx.Client], str],
    files: Sequence[str] = (),
    env: dict[str, str] | None = None,
    settle: str | None = None,
    quiet_after_each: bool = False,
) -> str:
    """Start uvicorn, run ``client`` against it, stop it; return the scrubbed server log
    followed by whatever ``client`` returned (e.g. a 422 body). ``quiet_after_each`` waits
    for the log to settle after every request, so per-request slices stay whole under load."""
    d = app_dir(*files)
    srv = Uvicorn(python, target, d, env=env)
    out = ""
    try:
        if not srv.ready(timeout=30):
            raise AssertionError("uvicorn did not start:\n" + srv.log())
        with httpx.Client(base_url=srv.url, timeout=30) as c:
            if quiet_after_each:
                send = c.request

                def request(*args: Any, **kwargs: Any) -> httpx.Response:
                    response = send(*args, **kwargs)
                    srv.wait_quiet()
                    return response

                c.request = request  # type: ignore[method-assign]
            out = client(c)
        if settle:
            srv.wait_for(settle)
    finally:
        log = srv.stop()
        shutil.rmtree(d, ignore_errors=True)
    text = log if not out else log.rstrip("\n") + "\n" + out
    return scrub(text, python, d)


# --- slicing a server log into one failure per request -----------------------------------------
_ACCESS = re.compile(r'^INFO: +\S+ - "(?P<method>[A-Z]+) (?P<path>\S+) HTTP/1\.1" (?P<status>\d+)')


def request_section(log: str, method: str, path: str) -> str:
    """The uvicorn log lines from the access line of METHOD PATH up to the next access line or
    shutdown line; the context an on-call engineer copies around a 500."""
    lines = log.splitlines()
    out: list[str] = []
    taking = False
    for line in lines:
        m = _ACCESS.match(line)
        if m:
            if taking:
                break
            taking = m["method"] == method and m["path"] == path
        elif taking and line.startswith("INFO:     Shutting down"):
            break
        if taking:
            out.append(line)
    if not out:
        raise AssertionError(f"no access line for {method} {path} in:\n{log}")
    return "\n".join(out) + "\n"


def write_or_read(name: str, text: str) -> str:
    """KB_WRITE_SAMPLES=1 (re)writes the committed sample; returns the committed text."""
    path = RULES / name
    if WRITE:
        path.write_text(text if text.endswith("\n") else text + "\n")
    return path.read_text()


# --- the pool incident -------------------------------------------------------------------------
ORDER_APPS = (
    "orders_db.py",
    "orders_incident.py",
    "orders_leak.py",
    "orders_blocking.py",
    "orders_fixed.py",
)
BURST_IDS = (0, 1, 2, 1, 2, 1)  # order 0 does not exist: that request ends in a 404


def pool_burst(python: str, module: str) -> dict[str, object]:
    """Serve MODULE:app, fire one bounded concurrent burst of GET /orders/{id}, then one more
    request after the burst; return statuses, the pool state after the burst and the log."""
    import asyncio

    d = app_dir(*ORDER_APPS)
    srv = Uvicorn(python, f"{module}:app", d, env={"ORDERS_DB": str(d / "orders.db")})
    result: dict[str, object] = {}

    async def load() -> None:
        limits = httpx.Limits(max_connections=len(BURST_IDS))
        async with httpx.AsyncClient(base_url=srv.url, timeout=30, limits=limits) as c:
            started = time.monotonic()
            rs = await asyncio.gather(*(c.get(f"/orders/{i}") for i in BURST_IDS))
            result["burst"] = [r.status_code for r in rs]
            result["burst_seconds"] = round(time.monotonic() - started, 2)
        # A new client: the burst's keep-alive connections may sit idle as long as uvicorn's
        # keep-alive timeout (5 s) and be closed by the server just as they are reused
        # (httpx.ReadError on a loaded machine).
        async with httpx.AsyncClient(base_url=srv.url, timeout=30) as c:
            result["pool_after"] = (await c.get("/debug/pool")).json()
            result["after"] = (await c.get("/orders/1")).status_code

    try:
        if not srv.ready(timeout=30):
            raise AssertionError("uvicorn did not start:\n" + srv.log())
        asyncio.run(asyncio.wait_for(load(), timeout=60))
        srv.wait_for('"GET /orders/1 HTTP/1.1"', timeout=5)
    finally:
        log = srv.stop()
        shutil.rmtree(d, ignore_errors=True)
    result["log"] = scrub(log, python, d)
    return result
