"""Run the Redis client reproductions in ``cases/`` and (re)write their samples.

Servers:

    KB_TEST_REDIS_URL         redis://127.0.0.1:6379/0 (started by .ci/services.sh)
    KB_TEST_REDIS_SERVER_BIN  redis-server binary used to start throwaway instances with special
                              settings (requirepass, maxmemory, replicaof, cluster) on free ports
    KB_TEST_REDIS_CLI_BIN     redis-cli binary (cluster creation)

Each case script runs as ``/app/app.py`` in a fresh temporary directory with ``REDIS_URL``
pointing at the server the case needs (``REDIS_URLS``, space-separated, for cluster cases).
stdout and stderr are captured interleaved and machine paths are rewritten to neutral forms
(see ``tests/repro/harness.py``).

    python3 tests/repro/redis/redis_repro.py             # rewrite every sample from a live run
    python3 tests/repro/redis/redis_repro.py NAME...     # only these sample files
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root: tests.repro

from tests.repro import harness

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
RULES = harness.RULES / "redis"

MAIN = os.environ.get("KB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVER_BIN = os.environ.get("KB_TEST_REDIS_SERVER_BIN", "redis-server")
CLI_BIN = os.environ.get("KB_TEST_REDIS_CLI_BIN", "redis-cli")


def free_port(cluster: bool = False) -> int:
    """A loopback port nothing listens on; for cluster nodes, port+10000 (the bus) too."""
    if not cluster:
        return harness.free_port()
    for _ in range(100):
        port = random.randrange(20000, 45000)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


@dataclass
class Case:
    script: str
    # "main": the shared server; "private": a throwaway redis-server started with ``args``;
    # "cluster": three throwaway cluster nodes joined by redis-cli; "none": a closed port
    server: str = "main"
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


CASE: dict[str, Case] = {
    "refused": Case("ping", "none"),
    "refused_asyncio": Case("ping_asyncio", "none"),
    "noauth": Case("ping", "private", ("--requirepass", "s3cret")),
    "noauth_asyncio": Case("ping_asyncio", "private", ("--requirepass", "s3cret")),
    "wrongpass": Case(
        "ping", "private", ("--requirepass", "s3cret"), {"REDIS_PASSWORD": "wrong-password"}
    ),
    "wrongpass_asyncio": Case(
        "ping_asyncio", "private", ("--requirepass", "s3cret"), {"REDIS_PASSWORD": "nope"}
    ),
    "maxclients": Case("many_clients", "private", ("--maxclients", "2")),
    "read_timeout": Case("read_timeout", "private"),
    "read_timeout_asyncio": Case("read_timeout_asyncio", "private"),
    "pool_exhausted": Case("pool_exhausted", "main"),
    "noauth_resp2": Case("ping_resp2", "private", ("--requirepass", "s3cret")),
    "oom": Case("fill", "private", ("--maxmemory", "2mb", "--maxmemory-policy", "noeviction")),
    "oom_asyncio": Case(
        "fill_asyncio", "private", ("--maxmemory", "2mb", "--maxmemory-policy", "noeviction")
    ),
    "oom_lru": Case("fill", "private", ("--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru")),
    "readonly": Case("write", "private", ("--replicaof", "127.0.0.1", "1")),
    "readonly_asyncio": Case("write_asyncio", "private", ("--replicaof", "127.0.0.1", "1")),
    "wrongtype": Case("wrongtype", "main"),
    "moved": Case("moved", "cluster"),
    "clusterdown": Case("clusterdown", "private", ("--cluster-enabled", "yes")),
    "misconf": Case("misconf", "private", ("--save", "3600 1", "--dir", "/sys/kernel")),
    "healthy": Case("healthy", "main"),
}

# sample file name -> (case, "page/cause", "pos" | "neg")
SAMPLES: dict[str, tuple[str, str, str]] = {}
CONN, CMD = "redis-connection", "redis-command-errors"
for page, cause, positives, negatives in [
    (CONN, "server-unreachable", {"": "refused", "asyncio": "refused_asyncio"}, ["maxclients"]),
    (
        CONN,
        "auth-required",
        {"": "noauth", "asyncio": "noauth_asyncio", "resp2": "noauth_resp2"},
        ["wrongpass"],
    ),
    (CONN, "wrong-password", {"": "wrongpass", "asyncio": "wrongpass_asyncio"}, ["noauth"]),
    (CONN, "max-clients", {"": "maxclients"}, ["pool_exhausted"]),
    (
        CONN,
        "socket-timeout",
        {"": "read_timeout", "asyncio": "read_timeout_asyncio"},
        ["refused", "healthy"],
    ),
    (CONN, "client-pool-exhausted", {"": "pool_exhausted"}, ["maxclients"]),
    (CMD, "maxmemory-reached", {"": "oom", "asyncio": "oom_asyncio"}, ["oom_lru", "misconf"]),
    (CMD, "write-to-replica", {"": "readonly", "asyncio": "readonly_asyncio"}, ["wrongtype"]),
    (CMD, "wrong-type", {"": "wrongtype"}, ["readonly"]),
    (CMD, "cluster-redirect", {"": "moved"}, ["clusterdown"]),
    (CMD, "cluster-down", {"": "clusterdown"}, ["moved"]),
    (CMD, "persistence-failing", {"": "misconf"}, ["oom"]),
]:
    harness.add_samples(SAMPLES, page, cause, positives, negatives)


def main_error() -> str | None:
    """None when the shared server answers PING, else why not."""
    import redis  # only needed when a server is probed

    try:
        redis.Redis.from_url(MAIN, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {MAIN} unreachable: {exc}"
    return None


def binary_error() -> str | None:
    """None when throwaway servers can be started, else why not."""
    for binary in (SERVER_BIN, CLI_BIN):
        if shutil.which(binary) is None:
            return f"{binary} not found (install redis-server, or run .ci/services.sh)"
    return None


def _wait_ping(port: int, deadline: float) -> None:
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(64).startswith((b"+PONG", b"-NOAUTH", b"-LOADING")):
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"redis-server on port {port} did not start")
        time.sleep(0.05)


@contextlib.contextmanager
def redis_server(workdir: Path, *args: str) -> Iterator[int]:
    """A throwaway redis-server on a free loopback port; yields the port."""
    port = free_port(cluster="--cluster-enabled" in args)
    data = workdir / f"redis-{port}"
    data.mkdir()
    cmd = [SERVER_BIN, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    cmd += ["no", "--dir", str(data), "--logfile", str(data / "redis.log"), *args]
    proc = subprocess.Popen(cmd, cwd=data, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ping(port, time.monotonic() + 10)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@contextlib.contextmanager
def redis_cluster(workdir: Path) -> Iterator[list[int]]:
    """Three throwaway cluster nodes with all slots assigned (redis-cli --cluster create)."""
    with contextlib.ExitStack() as stack:
        ports = [
            stack.enter_context(redis_server(workdir, "--cluster-enabled", "yes")) for _ in range(3)
        ]
        subprocess.run(
            [CLI_BIN, "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports), "--cluster-yes"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )
        deadline = time.monotonic() + 15
        for port in ports:  # every node must see the whole cluster before the case runs
            while (
                b"cluster_state:ok"
                not in subprocess.run(
                    [CLI_BIN, "-p", str(port), "cluster", "info"],
                    capture_output=True,
                    timeout=5,
                    check=False,
                ).stdout
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cluster node {port} never reached cluster_state:ok")
                time.sleep(0.1)
        yield ports


def _run(script: str, tmp: str, env: dict[str, str], timeout: float) -> str:
    shutil.copy(CASES / f"{script}.py", Path(tmp) / "app.py")
    return harness.neutralise(harness.run([sys.executable, "app.py"], tmp, env, timeout), tmp)


def run_case(name: str, timeout: float = 60) -> str:
    """Run case ``name`` as /app/app.py against the server it needs; return its output."""
    case = CASE[name]
    with tempfile.TemporaryDirectory(prefix="kb-repro-") as tmp:
        env = harness.clean_env("REDIS")
        env.update(case.env)
        if case.server == "main":
            env["REDIS_URL"] = MAIN
            return _run(case.script, tmp, env, timeout)
        if case.server == "none":
            env["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
            return _run(case.script, tmp, env, timeout)
        if case.server == "cluster":
            with redis_cluster(Path(tmp)) as ports:
                env["REDIS_URLS"] = " ".join(f"redis://127.0.0.1:{p}/0" for p in ports)
                env["REDIS_URL"] = f"redis://127.0.0.1:{ports[0]}/0"
                return _run(case.script, tmp, env, timeout)
        with redis_server(Path(tmp), *case.args) as port:
            env["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
            return _run(case.script, tmp, env, timeout)


if __name__ == "__main__":
    harness.write_samples(SAMPLES, run_case, RULES, sys.argv[1:])
