"""FastAPI/Starlette reproductions: each function provokes one failure (or its near miss)
against a real uvicorn on 127.0.0.1 and returns what an on-call engineer would paste:
the server log followed by the client's output.

    python3 tests/repro/web/web_cases.py [SUBSTRING...]   # regenerate (matching) samples
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root: tests.repro

from tests.repro import harness
from tests.repro.servers.srvharness import CACHE_DIR, PY, curl, run_uvicorn, scrub_paths, venv

APPS = Path(__file__).resolve().parent / "apps"
RULES = harness.RULES


def _web_min_venv() -> Path:
    """fastapi + uvicorn only (no python-multipart, no websockets/wsproto)."""
    pins = [f"fastapi=={metadata.version('fastapi')}", f"uvicorn=={metadata.version('uvicorn')}"]
    return venv("webmin", pins)


def _wrong_multipart_dir() -> Path:
    """The unrelated PyPI package "multipart" installed where the app can import it."""
    d = CACHE_DIR / "target-multipart"
    if not (d / "multipart.py").exists():
        subprocess.run(
            [PY, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--target",
             str(d), "multipart==2.0.1"],
            check=True, timeout=300,
        )
    return d


def _serve(target: str, client: Callable[[int], str] | None = None, **kw: object) -> str:
    log, out = run_uvicorn(APPS, target, client, **kw)  # type: ignore[arg-type]
    text = log if not out else log.rstrip("\n") + "\n" + out
    return scrub_paths(text, APPS)


def _json(method: str, path: str, body: str, ctype: str | None = "application/json"):
    def client(port: int) -> str:
        args = ["-i", "-X", method, f"http://127.0.0.1:{port}{path}", "--data-raw", body]
        if ctype:
            args += ["-H", f"Content-Type: {ctype}"]
        return curl(*args)

    return client


def _get(path: str, *headers: str, verbose: bool = False, method: str = "GET"):
    def client(port: int) -> str:
        args = ["-v" if verbose else "-i", "-X", method, f"http://127.0.0.1:{port}{path}"]
        for h in headers:
            args += ["-H", h]
        return curl(*args)

    return client


def _ws(path: str, mode: str = "idle"):
    def client(port: int) -> str:
        r = subprocess.run(
            [PY, str(APPS / "wsclient.py"), f"ws://127.0.0.1:{port}{path}", mode],
            capture_output=True, text=True, timeout=20, check=False,
        )
        return r.stdout + r.stderr

    return client


# ---------------------------------------------------------------- fastapi-web/fastapi-routing
def method_not_allowed() -> str:
    return _serve("routing:app", _get("/items", method="DELETE"))


def method_allowed() -> str:
    return _serve("routing:app", _get("/items"))


def trailing_slash() -> str:
    return _serve("routing:app", _json("POST", "/orders", "{}"))


def app_redirect() -> str:
    return _serve("routing:app", _get("/old-orders"))


def route_shadowed() -> str:
    return _serve("routing:app", _get("/users/me"))


def bad_path_id() -> str:
    return _serve("routing:app", _get("/users/12a"))


# ------------------------------------------------------ fastapi-web/fastapi-request-validation
def query_not_body() -> str:
    return _serve("validation:app", _json("POST", "/search", '{"q": "shoes"}'))


def query_missing_get() -> str:
    return _serve("validation:app", _get("/search"))


def body_not_embedded() -> str:
    return _serve("validation:app", _json("POST", "/rename", '{"name": "new-name"}'))


def body_field_type() -> str:
    return _serve("validation:app", _json("POST", "/items", '{"name": "pen", "price": "cheap"}'))


def json_invalid() -> str:
    return _serve("validation:app", _json("POST", "/items", "{'name': 'pen', 'price': 1}"))


def body_field_missing() -> str:
    return _serve("validation:app", _json("POST", "/items", '{"name": "pen"}'))


def form_to_json() -> str:
    return _serve("validation:app", _json("POST", "/items", '{"name": "pen", "price": 1}', None))


def nested_not_object() -> str:
    body = '{"item": "pen", "customer": "ACME"}'
    return _serve("validation:app", _json("POST", "/orders", body))


# ----------------------------------------------------- fastapi-web/fastapi-response-validation
def response_missing_field() -> str:
    return _serve("resp:app", _get("/users/1"))


def response_none() -> str:
    return _serve("resp:app", _get("/users/2"))


# ---------------------------------------------------------------- fastapi-web/fastapi-forms
def multipart_missing() -> str:
    v = _web_min_venv()
    return _serve("upload:app", python=str(v / "bin" / "python"))


def multipart_wrong() -> str:
    v = _web_min_venv()
    env = {"PYTHONPATH": str(_wrong_multipart_dir())}
    return scrub_paths(
        _serve("upload:app", python=str(v / "bin" / "python"), env=env),
        extra={str(CACHE_DIR / "target-multipart"): "/usr/local/lib/python3.11/site-packages"},
    )


# ------------------------------------------------------------ starlette/starlette-middleware
def no_response_returned() -> str:
    return _serve("middleware:app", _get("/legacy/status"))


def middleware_returns_none() -> str:
    return _serve("middleware:app", _get("/report"))


def endpoint_calls_none() -> str:
    return _serve("middleware:app", _get("/price"))


def response_already_started() -> str:
    return _serve("middleware:app", _get("/export"))


def stream_error_no_handler() -> str:
    return _serve("stream_nohandler:app", _get("/export"))


def cors_preflight_rejected() -> str:
    return _serve("cors:app", _get("/items", "Origin: http://localhost:3000",
                                   "Access-Control-Request-Method: GET", method="OPTIONS"))


def cors_preflight_ok() -> str:
    return _serve("cors:app", _get("/items", "Origin: https://app.example.com",
                                   "Access-Control-Request-Method: GET", method="OPTIONS"))


def cors_error_response() -> str:
    return _serve("cors:app", _get("/invoices", "Origin: https://app.example.com", verbose=True))


def cors_ok_response() -> str:
    return _serve("cors:app", _get("/items", "Origin: https://app.example.com", verbose=True))


# -------------------------------------------------------------- starlette/starlette-lifespan
def startup_failed() -> str:
    return _serve("life_startup:app")


def shutdown_failed() -> str:
    return _serve("life_shutdown:app", _get("/docs"))


def _pytest_style_warning(module: str) -> str:
    r = subprocess.run(
        [PY, "-W", "error::DeprecationWarning", "-c", f"import {module}"],
        cwd=APPS, capture_output=True, text=True, timeout=60, check=False,
    )
    return scrub_paths(r.stdout + r.stderr, APPS)


def on_event_deprecated() -> str:
    return _pytest_style_warning("life_onevent")


def other_deprecation() -> str:
    return _pytest_style_warning("old_imp")


# --------------------------------------------------------- starlette/starlette-background-tasks
def background_task_failed() -> str:
    return _serve("bg:app", _get("/signup", method="POST"), settle="Connection refused")


def endpoint_failed_inline() -> str:
    return _serve("bg:app", _get("/signup-sync", method="POST"))


# ------------------------------------------------------------ starlette/starlette-websockets
def ws_disconnect() -> str:
    return _serve("ws:app", _ws("/ws", "send"), settle="WebSocketDisconnect")


def ws_send_after_close() -> str:
    return _serve("ws:app", _ws("/ws/notify"), settle="close message")


def ws_handshake_403() -> str:
    return _serve("ws:app", _ws("/ws/private"))


def ws_accepted() -> str:
    return _serve("ws:app", _ws("/ws/private?token=s3cret"))


def ws_no_library() -> str:
    v = _web_min_venv()
    return _serve("ws:app", _ws("/ws"), python=str(v / "bin" / "python"))


def h2c_upgrade() -> str:
    return _serve("routing:app", _get("/items", "Connection: Upgrade, HTTP2-Settings",
                                      "Upgrade: h2c", "HTTP2-Settings: AAMAAABkAAQAAP__"))


# sample file name -> (capture function, "page/cause", pos|neg)
CASES: dict[str, tuple[Callable[[], str], str, str]] = {}


def _add(area: str, page: str, cause: str, pos: Callable[[], str], neg: Callable[[], str]) -> None:
    harness.add_samples(CASES, page, cause, {"": pos}, [neg], folder=area)


_add("fastapi-web", "fastapi-routing", "method-not-allowed", method_not_allowed, method_allowed)
_add("fastapi-web", "fastapi-routing", "trailing-slash-redirect", trailing_slash, app_redirect)
_add("fastapi-web", "fastapi-routing", "route-order-shadowing", route_shadowed, bad_path_id)
_add("fastapi-web", "fastapi-request-validation", "query-not-body", query_not_body,
     query_missing_get)
_add("fastapi-web", "fastapi-request-validation", "single-body-not-embedded", body_not_embedded,
     body_field_type)
_add("fastapi-web", "fastapi-request-validation", "json-decode-error", json_invalid,
     body_field_missing)
_add("fastapi-web", "fastapi-request-validation", "not-json-content-type", form_to_json,
     nested_not_object)
_add("fastapi-web", "fastapi-response-validation", "field-missing", response_missing_field,
     response_none)
_add("fastapi-web", "fastapi-response-validation", "returned-none", response_none,
     response_missing_field)
_add("fastapi-web", "fastapi-forms", "python-multipart-missing", multipart_missing,
     multipart_wrong)
_add("fastapi-web", "fastapi-forms", "wrong-multipart-package", multipart_wrong,
     multipart_missing)
_add("starlette", "starlette-middleware", "no-response-returned", no_response_returned,
     middleware_returns_none)
_add("starlette", "starlette-middleware", "middleware-returns-none", middleware_returns_none,
     endpoint_calls_none)
_add("starlette", "starlette-middleware", "response-already-started", response_already_started,
     stream_error_no_handler)
_add("starlette", "starlette-middleware", "cors-origin-rejected", cors_preflight_rejected,
     cors_preflight_ok)
_add("starlette", "starlette-middleware", "cors-headers-missing-on-500", cors_error_response,
     cors_ok_response)
_add("starlette", "starlette-lifespan", "startup-failed", startup_failed, shutdown_failed)
_add("starlette", "starlette-lifespan", "shutdown-failed", shutdown_failed, startup_failed)
_add("starlette", "starlette-lifespan", "on-event-deprecated", on_event_deprecated,
     other_deprecation)
_add("starlette", "starlette-background-tasks", "task-failed-after-response",
     background_task_failed, endpoint_failed_inline)
_add("starlette", "starlette-websockets", "client-disconnect-unhandled", ws_disconnect,
     ws_send_after_close)
_add("starlette", "starlette-websockets", "send-after-close", ws_send_after_close, ws_disconnect)
_add("starlette", "starlette-websockets", "handshake-rejected", ws_handshake_403, ws_accepted)
_add("starlette", "starlette-websockets", "no-websocket-library", ws_no_library, h2c_upgrade)


if __name__ == "__main__":
    harness.write_samples(CASES, harness.call, RULES, sys.argv[1:], substring=True)
