"""Server helpers for the web/servers/packaging reproductions (on top of ../harness.py).

Everything here runs real software in subprocesses bound to 127.0.0.1, with
bounded waits: a readiness poll of at most ``ready_timeout`` seconds and a
bounded shutdown.  ``scrub_paths`` turns machine paths into the neutral forms
used by the committed samples (``/usr/local/lib/python3.11/...``, ``/app``);
``same_key_lines`` is how a sample without error lines (an HTTP status, a
redirect, a healthy log) is compared.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kb_engine import clean_text, mask
from tests.repro.harness import free_port

CACHE_DIR = Path(os.environ.get("KB_REPRO_CACHE", Path.home() / ".cache" / "kb-repro"))
PY = sys.executable


def wait_port(port: int, proc: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> bool:
    """Bounded readiness poll: True once 127.0.0.1:port accepts, False if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def curl(*args: str, timeout: float = 10.0) -> str:
    """Real curl output; with -v the verbose trace (stderr) comes first, as on a terminal."""
    r = subprocess.run(
        ["curl", "-s", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if r.stderr and r.stdout and not r.stderr.endswith("\n"):
        return r.stderr + "\n" + r.stdout
    return r.stderr + r.stdout


class Server:
    """A real server subprocess; output goes to a file so nothing blocks on pipes."""

    def __init__(
        self,
        argv: Sequence[str],
        cwd: Path,
        port: int,
        env: dict[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.port = port
        self._own_log = log_path is None
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix=f"kb-server-{port}-", suffix=".log")
            os.close(fd)
            log_path = Path(name)
        self.log_path = log_path
        full_env = dict(os.environ)
        full_env.pop("PYTHONPATH", None)
        full_env["PYTHONUNBUFFERED"] = "1"
        full_env["NO_COLOR"] = "1"
        if env:
            full_env.update(env)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            list(argv), cwd=cwd, env=full_env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def ready(self, timeout: float = 15.0) -> bool:
        return wait_port(self.port, self.proc, timeout)

    def wait_exit(self, timeout: float = 20.0) -> int | None:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def wait_for(self, text: str, timeout: float = 20.0) -> bool:
        """Bounded poll of the log for ``text``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_path.read_text(errors="replace"):
                return True
            if self.proc.poll() is not None:
                return text in self.log_path.read_text(errors="replace")
            time.sleep(0.1)
        return False

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10.0, group: bool = True) -> str:
        """Signal the server (its whole process group, as Ctrl+C does, unless ``group`` is
        False), wait, and return its log."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                if group:
                    os.killpg(self.proc.pid, sig)
                else:
                    os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._log.close()
        text = self.log_path.read_text(errors="replace")
        if self._own_log:
            self.log_path.unlink(missing_ok=True)
        return text


def uvicorn_argv(target: str, port: int, *extra: str, python: str = PY) -> list[str]:
    return [python, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port), *extra]


def run_uvicorn(
    app_dir: Path,
    target: str,
    client: Callable[[int], str] | None = None,
    extra: Sequence[str] = (),
    env: dict[str, str] | None = None,
    python: str = PY,
    settle: str | None = None,
) -> tuple[str, str]:
    """Start uvicorn, run ``client(port)`` once it listens, stop it.

    Returns (server log, client output).

    ``settle``: text to wait for in the server log after the client ran (bounded).
    """
    port = free_port()
    srv = Server(uvicorn_argv(target, port, *extra, python=python), app_dir, port, env=env)
    out = ""
    try:
        if srv.ready() and client is not None:
            out = client(port)
            if settle:
                srv.wait_for(settle, timeout=10)
        else:
            srv.wait_exit(timeout=20)
    finally:
        log = srv.stop()
    return log, out


def _site_packages() -> list[str]:
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    return sorted(paths, key=len, reverse=True)


def scrub_paths(text: str, app_dir: Path | None = None, extra: dict[str, str] | None = None) -> str:
    """Neutralise machine paths the way committed samples spell them."""
    for sp in _site_packages():
        text = text.replace(sp, "/usr/local/lib/python3.11/site-packages")
    stdlib = sysconfig.get_paths()["stdlib"]
    text = text.replace(stdlib, "/usr/local/lib/python3.11")
    text = text.replace(str(Path(sys.executable).parent), "/usr/local/bin")
    for venv in sorted(CACHE_DIR.glob("venv-*"), key=lambda p: len(str(p)), reverse=True):
        text = text.replace(f"{venv}/lib/python3.12/site-packages",
                            "/usr/local/lib/python3.12/site-packages")
        text = text.replace(f"{venv}/lib/python3.11/site-packages",
                            "/usr/local/lib/python3.11/site-packages")
        text = text.replace(f"{venv}/bin", "/usr/local/bin")
    if extra:
        for k, v in extra.items():
            text = text.replace(k, v)
    if app_dir is not None:
        text = text.replace(str(app_dir), "/app")
    text = re.sub(r"/root/\.pyenv/versions/3\.\d+\.\d+/lib/python(3\.\d+)",
                  r"/usr/local/lib/python\1", text)
    return text


def venv(name: str, packages: Sequence[str], python: str = PY) -> Path:
    """A cached venv under CACHE_DIR (created once; pip uses its own cache)."""
    d = CACHE_DIR / f"venv-{name}"
    marker = d / ".kb-ready"
    want = "\n".join(packages)
    if marker.exists() and marker.read_text() == want:
        return d
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-m", "venv", "--clear", str(d)], check=True, timeout=120)
    if packages:
        subprocess.run(
            [str(d / "bin" / "python"), "-m", "pip", "install", "-q",
             "--disable-pip-version-check", *packages],
            check=True, timeout=600,
        )
    marker.write_text(want)
    return d


_KEY_LINE = re.compile(
    r'" \d{3}(?: [A-Za-z ]+)?$|" \[accepted\]$|^HTTP/\d(?:\.\d)? \d{3}|^[<>] |^\{"'
    r"|^(?:allow|location|access-control-[\w-]+): |^(?:WARNING|ERROR|CRITICAL):"
    r"|^\[[^\]]+\] \[\d+\] \[(?:WARNING|ERROR|CRITICAL)\]"
    r"|^\w[\w.]*(?:Error|Exception|Warning|Disconnect\w*|Status)\b"
    # interpreter/pip/pkg_resources lines: "python3: No module named x", "error: ...",
    # "pkg_resources.VersionConflict: ...", "Successfully installed ..."
    r"|^\S*python[\d.]*: |^(?:error|hint|note): |^[A-Za-z_]\w*\.[\w.]*: |^Successfully installed ",
    re.IGNORECASE,
)
_VOLATILE_HEADER = re.compile(r"^[<>] (?:date|Host|User-Agent):", re.IGNORECASE)


def key_lines(text: str) -> list[str]:
    """Masked status/body/header/warning lines: what a sample without an exception shows."""
    out: list[str] = []
    for line in clean_text(text).split("\n"):
        s = line.strip()
        if s and _KEY_LINE.search(s) and not _VOLATILE_HEADER.search(s):
            m = mask(s)
            if m not in out:
                out.append(m)
    return out


def _server_lines(text: str) -> list[str]:
    lines = [mask(s.strip()) for s in clean_text(text).split("\n")]
    return [s for s in lines if re.match(r"^(?:INFO|WARNING):|^\[<TIMESTAMP>\] \[<NUM>\]", s)]


def same_key_lines(captured: str, sample: Path) -> None:
    """For a sample without error lines (``harness.same_output`` fallback): its key lines
    (status lines, JSON bodies, redirect/allow headers, warnings), which is what an HTTP-level
    sample (405, 307, 422) consists of, must still be printed; for a healthy log without any,
    its masked server lines."""
    expected = key_lines(sample.read_text(encoding="utf-8"))
    got = set(key_lines(captured))
    if not expected:  # a healthy log: compare its masked server lines instead
        expected = _server_lines(sample.read_text(encoding="utf-8"))
        got = set(_server_lines(captured))
    missing = [line for line in expected if line not in got]
    assert expected, f"{sample.name} has no key lines to compare"
    assert not missing, f"{sample.name}: no longer printed:\n  " + "\n  ".join(missing)
