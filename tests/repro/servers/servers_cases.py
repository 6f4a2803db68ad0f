"""uvicorn and gunicorn reproductions: real server processes on 127.0.0.1, bounded waits.
Each function returns what an on-call engineer would paste (server log, then client output).

    python3 tests/repro/servers/servers_cases.py [SUBSTRING...]   # regenerate (matching) samples
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root: tests.repro

from tests.repro import harness
from tests.repro.servers.srvharness import (
    CACHE_DIR,
    PY,
    Server,
    curl,
    free_port,
    run_uvicorn,
    scrub_paths,
    uvicorn_argv,
    venv,
    wait_port,
)

APPS = Path(__file__).resolve().parent / "apps"
PROJ = APPS / "proj"
RULES = harness.RULES


def _web_min_python() -> str:
    pins = [f"fastapi=={metadata.version('fastapi')}", f"uvicorn=={metadata.version('uvicorn')}"]
    return str(venv("webmin", pins) / "bin" / "python")


def _uv(cwd: Path, target: str, client: Callable[[int], str] | None = None,
        **kw: object) -> str:
    log, out = run_uvicorn(cwd, target, client, **kw)  # type: ignore[arg-type]
    text = log if not out else log.rstrip("\n") + "\n" + out
    return scrub_paths(text, APPS)


# ------------------------------------------------------------------ uvicorn/uvicorn-app-loading
def could_not_import() -> str:
    return _uv(PROJ, "main:app")


def attribute_not_found() -> str:
    return _uv(PROJ, "app.main:app")


def import_string_format() -> str:
    return _uv(PROJ, "app.main")


def healthy_start() -> str:
    return _uv(PROJ, "app.main:application", lambda port: curl("-i", f"http://127.0.0.1:{port}/"))


def file_path_target() -> str:
    return _uv(PROJ, "app/main.py:application")


def app_dependency_missing() -> str:
    return _uv(PROJ, "app.broken:app", python=_web_min_python())


# --------------------------------------------------------------------- uvicorn/uvicorn-server
def address_in_use() -> str:
    port = free_port()
    first = Server(uvicorn_argv("web:app", port), APPS, port,
                   log_path=CACHE_DIR / f"first-{port}.log")
    try:
        first.ready()
        second = Server(uvicorn_argv("web:app", port), APPS, port)
        second.wait_exit(20)
        return scrub_paths(second.stop(), APPS)
    finally:
        first.stop()
        first.log_path.unlink(missing_ok=True)


def tls_to_plain_port() -> str:
    return _uv(APPS, "web:app", lambda port: curl("-v", "--max-time", "5",
                                                   f"https://127.0.0.1:{port}/orders/"),
               settle="Invalid HTTP request")


def content_length_mismatch() -> str:
    return _uv(APPS, "web:app", lambda port: curl("-i", "--max-time", "5",
                                                   f"http://127.0.0.1:{port}/report"),
               settle="LocalProtocolError")


def content_length_ok() -> str:
    return _uv(APPS, "web:app", lambda port: curl("-i", f"http://127.0.0.1:{port}/report-ok"))


def _forwarded(port: int) -> str:
    return curl("-v", "-H", "X-Forwarded-Proto: https", "-H", "X-Forwarded-For: 203.0.113.9",
                f"http://127.0.0.1:{port}/orders")


def proxy_untrusted() -> str:
    # the proxy's address (127.0.0.1 here) is not in --forwarded-allow-ips
    return _uv(APPS, "web:app", _forwarded, extra=["--forwarded-allow-ips", "10.0.0.5"])


def proxy_trusted() -> str:
    return _uv(APPS, "web:app", _forwarded, extra=["--forwarded-allow-ips", "127.0.0.1"])


def _run_reload(mode: str) -> str:
    port = free_port()
    srv = Server([PY, "run_reload.py", str(port), mode], APPS, port)
    if mode == "object":
        srv.wait_exit(20)
    else:
        srv.wait_for("Application startup complete", 20)
    # Only the reloader is signalled: it stops the worker with one SIGTERM. A group-wide
    # SIGINT (Ctrl+C) reaches the worker twice (from the terminal and from the reloader),
    # and uvicorn's second signal forces an exit that may skip the lifespan shutdown lines.
    return scrub_paths(srv.stop(group=False), APPS)


def reload_app_object() -> str:
    return _run_reload("object")


def reload_import_string() -> str:
    return _run_reload("string")


# ----------------------------------------------------------------- gunicorn/gunicorn-workers
def _gunicorn(target: str, port: int, *extra: str) -> list[str]:
    return [PY, "-m", "gunicorn", "--no-control-socket", "-b", f"127.0.0.1:{port}", "-w", "1",
            *extra, target]


def _gunicorn_request(target: str, path: str, *extra: str, settle: str = "") -> str:
    port = free_port()
    srv = Server(_gunicorn(target, port, *extra), APPS, port)
    out = ""
    try:
        if srv.ready():
            out = curl("-i", "--max-time", "10", f"http://127.0.0.1:{port}{path}")
            if settle:
                srv.wait_for(settle, 10)
    finally:
        log = srv.stop(sig=signal.SIGTERM)
    return scrub_paths(log.rstrip("\n") + "\n" + out, APPS)


def _gunicorn_boot(target: str) -> str:
    port = free_port()
    srv = Server(_gunicorn(target, port), APPS, port)
    srv.wait_exit(30)
    return scrub_paths(srv.stop(sig=signal.SIGTERM), APPS)


def worker_boot_import_error() -> str:
    return _gunicorn_boot("badimport:app")


def app_attribute_missing() -> str:
    return _gunicorn_boot("asgiapp:application")


def asgi_on_sync_worker() -> str:
    return _gunicorn_request("asgiapp:app", "/")


def wsgi_typeerror() -> str:
    return _gunicorn_request("wsgiapp:app", "/csv")


def gunicorn_connection_in_use() -> str:
    port = free_port()
    first = Server(uvicorn_argv("asgiapp:app", port), APPS, port,
                   log_path=CACHE_DIR / f"first-{port}.log")
    try:
        wait_port(port, first.proc)
        second = Server(_gunicorn("asgiapp:app", port), APPS, port)
        second.wait_exit(30)
        return scrub_paths(second.stop(sig=signal.SIGTERM), APPS)
    finally:
        first.stop()
        first.log_path.unlink(missing_ok=True)


# sample file name (under rules/) -> (capture function, "page/cause", pos|neg)
CASES: dict[str, tuple[Callable[[], str], str, str]] = {}


def _add(area: str, page: str, cause: str, pos: Callable[[], str], neg: Callable[[], str]) -> None:
    harness.add_samples(CASES, page, cause, {"": pos}, [neg], folder=area)


_add("uvicorn", "uvicorn-app-loading", "could-not-import-module", could_not_import,
     attribute_not_found)
_add("uvicorn", "uvicorn-app-loading", "attribute-not-found", attribute_not_found,
     could_not_import)
_add("uvicorn", "uvicorn-app-loading", "import-string-format", import_string_format,
     healthy_start)
_add("uvicorn", "uvicorn-app-loading", "file-path-as-import-string", file_path_target,
     app_dependency_missing)
_add("uvicorn", "uvicorn-server", "address-in-use", address_in_use, gunicorn_connection_in_use)
_add("uvicorn", "uvicorn-server", "invalid-http-request", tls_to_plain_port, healthy_start)
_add("uvicorn", "uvicorn-server", "content-length-mismatch", content_length_mismatch,
     content_length_ok)
_add("uvicorn", "uvicorn-server", "proxy-headers-untrusted", proxy_untrusted, proxy_trusted)
_add("uvicorn", "uvicorn-server", "reload-needs-import-string", reload_app_object,
     reload_import_string)
_add("gunicorn", "gunicorn-workers", "worker-failed-to-boot", worker_boot_import_error,
     app_attribute_missing)
_add("gunicorn", "gunicorn-workers", "app-failed-to-load", app_attribute_missing,
     worker_boot_import_error)
_add("gunicorn", "gunicorn-workers", "asgi-app-on-sync-worker", asgi_on_sync_worker,
     wsgi_typeerror)
_add("gunicorn", "gunicorn-workers", "connection-in-use", gunicorn_connection_in_use,
     address_in_use)


if __name__ == "__main__":
    harness.write_samples(CASES, harness.call, RULES, sys.argv[1:], substring=True)
