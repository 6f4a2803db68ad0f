"""Run the Celery reproductions in ``cases/`` (real workers, Redis broker) and write samples.

Broker: the Redis server from ``.ci/services.sh`` (``KB_TEST_REDIS_URL``, default
redis://127.0.0.1:6379/0); the cases use database 5 for the broker and 6 for results, one queue
per case (``kb-repro-<case>``, emptied before each run).

A case starts a worker (``celery -A tasks worker``, prefork, one process) in a fresh temporary
directory holding ``cases/tasks.py``, waits until it is ready, runs a client script as
``/app/app.py``, waits for the line that shows the outcome, then stops the worker. The sample is
the worker's log, the client's output, or both (client first), with machine paths rewritten
(see ``tests/repro/harness.py``).

    python3 tests/repro/celery/celery_repro.py           # rewrite every sample from a live run
    python3 tests/repro/celery/celery_repro.py NAME...   # only these sample files
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root: tests.repro

from tests.repro import harness
from tests.repro.harness import free_port

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
RULES = harness.RULES / "celery"

_REDIS = urlsplit(os.environ.get("KB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
_AUTH = f":{_REDIS.password}@" if _REDIS.password else ""
REDIS_HOSTPORT = f"{_REDIS.hostname or '127.0.0.1'}:{_REDIS.port or 6379}"
BROKER = f"redis://{_AUTH}{REDIS_HOSTPORT}/5"
BACKEND = f"redis://{_AUTH}{REDIS_HOSTPORT}/6"


@dataclass
class Case:
    client: str | None  # script in cases/ run as app.py, or None (worker only)
    worker: bool = True
    broker: str = "redis"  # "redis" or "closed" (a port nothing listens on)
    backend: bool = False
    wait_for: str | None = None  # regex in the worker log that marks the outcome
    capture: str = "worker"  # "worker", "client" or "both"
    client_env: dict[str, str] = field(default_factory=dict)


CASE: dict[str, Case] = {
    "unregistered": Case("send_unregistered", wait_for=r"KeyError: 'tasks\.send_invoice'"),
    "soft_limit": Case("call_soft", wait_for=r"raised unexpected: SoftTimeLimitExceeded"),
    "soft_limit_handled": Case("call_soft_handled", wait_for=r"succeeded in .*'partial'"),
    "hard_limit": Case("call_hard", wait_for=r"exited with 'signal 9 \(SIGKILL\)'"),
    "killed": Case("call_killed", wait_for=r"WorkerLostError: Worker exited prematurely"),
    "healthy": Case("call_add", wait_for=r"succeeded in .*: 5"),
    "worker_no_broker": Case(
        None, broker="closed", wait_for=r"Trying again in .* seconds\.\.\. \(2/"
    ),
    "publish_no_broker": Case("publish", worker=False, broker="closed", capture="client"),
    "no_backend": Case("get_no_backend", worker=False, capture="client"),
    "get_timeout": Case("get_timeout", worker=False, backend=True, capture="client"),
    "encode_arg": Case("encode_arg", worker=False, capture="client"),
    "encode_result": Case(
        "call_return_object", backend=True, wait_for=r"raised unexpected: EncodeError"
    ),
    "pickle_rejected": Case(
        "call_add",
        wait_for=r"ContentDisallowed: Refusing to deserialize",
        client_env={"TASK_SERIALIZER": "pickle"},
    ),
}

# sample file name -> (case, "page/cause", "pos" | "neg")
SAMPLES: dict[str, tuple[str, str, str]] = {}
WORKER, BROKER_PAGE = "celery-worker-tasks", "celery-broker-and-results"
for page, cause, positives, negatives in [
    (WORKER, "unregistered-task", {"": "unregistered"}, ["pickle_rejected"]),
    (WORKER, "soft-time-limit", {"": "soft_limit"}, ["hard_limit", "soft_limit_handled"]),
    (WORKER, "hard-time-limit", {"": "hard_limit"}, ["killed", "soft_limit"]),
    (WORKER, "worker-killed", {"": "killed"}, ["hard_limit"]),
    (WORKER, "content-disallowed", {"": "pickle_rejected"}, ["unregistered"]),
    (
        BROKER_PAGE,
        "broker-unreachable",
        {"": "worker_no_broker", "publish": "publish_no_broker"},
        ["healthy"],
    ),
    (BROKER_PAGE, "no-result-backend", {"": "no_backend"}, ["get_timeout"]),
    (BROKER_PAGE, "result-timeout", {"": "get_timeout"}, ["no_backend"]),
    (
        BROKER_PAGE,
        "not-json-serializable",
        {"": "encode_arg", "result": "encode_result"},
        ["pickle_rejected"],
    ),
]:
    harness.add_samples(SAMPLES, page, cause, positives, negatives)


def broker_error() -> str | None:
    """None when the Redis broker answers PING, else why not."""
    import redis  # only needed when the broker is probed

    try:
        redis.Redis.from_url(BROKER, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis broker at {REDIS_HOSTPORT} unreachable: {exc}"
    return None


def _empty_queue(queue: str) -> None:
    import redis

    redis.Redis.from_url(BROKER, socket_timeout=3).delete(queue)


def _wait_log(log: Path, pattern: str, deadline: float, proc: subprocess.Popen[bytes]) -> None:
    rx = re.compile(pattern)
    while time.monotonic() < deadline:
        if rx.search(log.read_text(errors="replace")):
            return
        if proc.poll() is not None:
            return
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # warm shutdown
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def run_case(name: str, timeout: float = 30) -> str:
    """Run case ``name``; return the neutralised worker log and/or client output."""
    case = CASE[name]
    queue = f"kb-repro-{name.replace('_', '-')}"
    with tempfile.TemporaryDirectory(prefix="kb-repro-") as tmp:
        shutil.copy(CASES / "tasks.py", Path(tmp) / "tasks.py")
        env = harness.clean_env("CELERY")
        env["COLUMNS"] = "100"
        env["QUEUE"] = queue
        env["BROKER_URL"] = (
            BROKER if case.broker == "redis" else f"redis://127.0.0.1:{free_port()}/5"
        )
        if case.backend:
            env["RESULT_BACKEND"] = BACKEND
        if case.broker == "redis":
            _empty_queue(queue)
        worker = None
        log = Path(tmp) / "worker.log"
        client_out = ""
        try:
            if case.worker:
                cmd = [sys.executable, "-m", "celery", "-A", "tasks", "worker", "-l", "INFO"]
                cmd += ["-P", "prefork", "-c", "1", "-n", "worker1@app-host", "-Q", queue]
                cmd += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
                with log.open("wb") as fh:
                    worker = subprocess.Popen(
                        cmd, cwd=tmp, env=env, stdout=fh, stderr=subprocess.STDOUT
                    )
                if case.broker == "redis":
                    _wait_log(log, r"ready\.", time.monotonic() + timeout, worker)
            if case.client:
                shutil.copy(CASES / f"{case.client}.py", Path(tmp) / "app.py")
                client_env = {**env, **case.client_env}
                client_out = harness.run([sys.executable, "app.py"], tmp, client_env, timeout)
            if worker is not None and case.wait_for:
                _wait_log(log, case.wait_for, time.monotonic() + timeout, worker)
        finally:
            if worker is not None:
                _stop(worker)
        worker_out = log.read_text(errors="replace") if worker is not None else ""
        parts = {"worker": [worker_out], "client": [client_out], "both": [client_out, worker_out]}
        return harness.neutralise("".join(parts[case.capture]), tmp)


if __name__ == "__main__":
    harness.write_samples(SAMPLES, run_case, RULES, sys.argv[1:])
