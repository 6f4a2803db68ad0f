"""Reproductions of the container-side failures a Python service sees (rules/containers).

Kubernetes itself cannot run here, so its output in the samples is cited from public threads.
What a Python process prints inside a constrained container *can* be provoked: a read-only or
full filesystem (a tmpfs mounted in a private mount namespace), a low open-files limit, an
address-space limit, a non-root user, a missing environment variable, and gunicorn killing a
stuck or SIGKILLed worker. ``python -m tests.repro.containers.ctlab write`` regenerates samples.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root: tests.repro

from tests.repro.harness import free_port

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "rules" / "containers"
TIMEOUT = 30

STDLIB = re.escape(str(Path(ssl.__file__).parent))
# A non-root user cannot execute an interpreter under /root: use the distribution's python3.
SYSTEM_PYTHON = "/usr/bin/python3"


def scrub(text: str, work: Path) -> str:
    text = text.replace(str(work), "/app")
    text = re.sub(STDLIB, "/usr/local/lib/python3.11", text)
    text = text.replace("/usr/lib/python3.11/", "/usr/local/lib/python3.11/")
    text = text.replace(sys.executable, "/usr/local/bin/python3")
    home = str(Path.home())
    if home not in ("", "/"):
        text = text.replace(home + "/", "/home/app/")
    return text


@dataclass(frozen=True)
class Scenario:
    sample: str
    expect: str
    kind: str  # "script" | "gunicorn-timeout" | "gunicorn-sigkill"
    code: str = ""
    mount: str | None = None  # "ro" | "full": tmpfs at /app/data in a private mount namespace
    user: int | None = None  # run as this uid (non-root)
    env: tuple[tuple[str, str], ...] = ()
    slow: bool = False


def _run_script(sc: Scenario) -> str:
    work = Path(tempfile.mkdtemp(prefix="kbct-"))
    try:
        (work / "data").mkdir()
        (work / "app.py").write_text(sc.code)
        python = sys.executable if sc.user is None else SYSTEM_PYTHON
        cmd = [python, "app.py"]
        if sc.mount:
            opts = "ro,size=1m" if sc.mount == "ro" else "size=256k"
            script = f"mount -t tmpfs -o {opts} tmpfs {work}/data && exec {python} app.py"
            cmd = ["unshare", "-m", "sh", "-c", script]
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
        env.update({"PYTHONDONTWRITEBYTECODE": "1"})
        env.update(dict(sc.env))
        kwargs: dict[str, object] = {}
        if sc.user is not None:
            os.chmod(work, 0o755)
            kwargs["user"] = sc.user
            kwargs["group"] = sc.user
            kwargs["extra_groups"] = []
        proc = subprocess.run(
            cmd, cwd=work, env=env, capture_output=True, text=True, timeout=TIMEOUT, **kwargs
        )
        return scrub(proc.stdout + proc.stderr, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


GUNICORN_APP = """\
import time


def app(environ, start_response):
    if environ["PATH_INFO"] == "/reports/export":
        time.sleep(60)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def _wait_for(pred, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def _run_gunicorn(sc: Scenario) -> str:
    """Run gunicorn on 127.0.0.1, provoke a worker timeout or a SIGKILL, return its log."""
    work = Path(tempfile.mkdtemp(prefix="kbgu-"))
    log = work / "gunicorn.log"
    port = free_port()
    proc = None
    try:
        (work / "app.py").write_text(GUNICORN_APP)
        cmd = [
            sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--timeout", "2", "--graceful-timeout", "2", "app:app",
        ]
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", HOME=str(work))
        with open(log, "w") as fh:
            proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=fh, stderr=subprocess.STDOUT)
        booted = re.compile(r"Booting worker with pid: (\d+)")
        if not _wait_for(lambda: booted.search(log.read_text()), 15):
            raise RuntimeError("gunicorn did not boot:\n" + log.read_text())
        if sc.kind == "gunicorn-timeout":
            with contextlib.suppress(OSError):  # the client sees a 500 or a reset
                urllib.request.urlopen(f"http://127.0.0.1:{port}/reports/export", timeout=10)
            _wait_for(lambda: "Worker exiting" in log.read_text(), 10)
        else:
            worker = int(booted.search(log.read_text()).group(1))
            os.kill(worker, signal.SIGKILL)
            _wait_for(lambda: "SIGKILL" in log.read_text(), 10)
        _wait_for(lambda: len(booted.findall(log.read_text())) >= 2, 10)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        return scrub(log.read_text(), work)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        shutil.rmtree(work, ignore_errors=True)


def capture(sc: Scenario) -> str:
    if sc.kind == "script":
        return _run_script(sc)
    return _run_gunicorn(sc)


OSL = "container-os-limits"
CRASH = "k8s-crashloopbackoff"
KILLED = "container-killed"

SCENARIOS: list[Scenario] = [
    Scenario(
        f"{OSL}.read-only-filesystem.pos.log", f"{OSL}/read-only-filesystem", "script",
        "import json\nimport os\n\n"
        'CACHE = os.path.join(os.getcwd(), "data", "cache.json")\n'
        'with open(CACHE, "w") as f:\n'
        '    json.dump({"warm": True}, f)\n',
        mount="ro",
    ),
    Scenario(
        f"{OSL}.no-space-left.pos.log", f"{OSL}/no-space-left", "script",
        "import os\n\n"
        'path = os.path.join(os.getcwd(), "data", "export.csv")\n'
        'with open(path, "w") as f:\n'
        "    for i in range(100_000):\n"
        '        f.write(f"{i},2024-01-01,some-payload-value\\n")\n',
        mount="full",
    ),
    Scenario(
        f"{OSL}.too-many-open-files.pos.log", f"{OSL}/too-many-open-files", "script",
        "import os\nimport resource\n\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))\n"
        "handles = []\n"
        "for i in range(200):\n"
        '    handles.append(open(os.path.join(os.getcwd(), "data", f"part-{i}.txt"), "w"))\n',
    ),
    Scenario(
        f"{OSL}.too-many-open-files.pos.socket.log", f"{OSL}/too-many-open-files", "script",
        "import resource\nimport socket\n\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))\n"
        "sockets = [socket.socket() for _ in range(100)]\n",
    ),
    Scenario(
        f"{OSL}.memory-allocation-failed.pos.log", f"{OSL}/memory-allocation-failed", "script",
        "import resource\n\nimport numpy as np\n\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "matrix = np.ones((40_000, 40_000))\n",
    ),
    Scenario(
        f"{OSL}.memory-allocation-failed.pos.plain.log", f"{OSL}/memory-allocation-failed",
        "script",
        "import resource\n\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "buffer = bytearray(4 << 30)\n",
    ),
    Scenario(
        f"{OSL}.non-root-cannot-write.pos.log", f"{OSL}/non-root-cannot-write", "script",
        "import logging\nimport os\n\n"
        'logging.basicConfig(filename=os.path.join(os.getcwd(), "app.log"))\n',
        user=65534,
    ),
    Scenario(
        f"{CRASH}.missing-env-var.pos.log", f"{CRASH}/missing-env-var", "script",
        "import os\n\n"
        'DATABASE_URL = os.environ["DATABASE_URL"]\n',
    ),
    Scenario(
        f"{KILLED}.gunicorn-worker-timeout.pos.log", f"{KILLED}/gunicorn-worker-timeout",
        "gunicorn-timeout", slow=True,
    ),
    Scenario(
        f"{KILLED}.worker-sigkilled.pos.log", f"{KILLED}/worker-sigkilled",
        "gunicorn-sigkill", slow=True,
    ),
]

NEGATIVES: list[Scenario] = [
    Scenario(
        f"{OSL}.read-only-filesystem.neg.log", f"{OSL}/read-only-filesystem", "script",
        SCENARIOS[6].code, user=65534,
    ),
    Scenario(
        f"{OSL}.no-space-left.neg.log", f"{OSL}/no-space-left", "script",
        SCENARIOS[2].code,
    ),
    Scenario(
        f"{OSL}.too-many-open-files.neg.log", f"{OSL}/too-many-open-files", "script",
        SCENARIOS[1].code, mount="full",
    ),
    Scenario(
        f"{OSL}.non-root-cannot-write.neg.log", f"{OSL}/non-root-cannot-write", "script",
        SCENARIOS[0].code, mount="ro",
    ),
    Scenario(
        f"{OSL}.memory-allocation-failed.neg.log", f"{OSL}/memory-allocation-failed",
        "gunicorn-sigkill", slow=True,
    ),
    Scenario(
        f"{CRASH}.missing-env-var.neg.log", f"{CRASH}/missing-env-var", "script",
        'settings = {"debug": True}\n\nDATABASE_URL = settings["DATABASE_URL"]\n',
    ),
    Scenario(
        f"{KILLED}.gunicorn-worker-timeout.neg.log", f"{KILLED}/gunicorn-worker-timeout",
        "gunicorn-sigkill", slow=True,
    ),
    Scenario(
        f"{KILLED}.worker-sigkilled.neg.log", f"{KILLED}/worker-sigkilled",
        "gunicorn-timeout", slow=True,
    ),
]
ALL = SCENARIOS + NEGATIVES


def main(argv: list[str]) -> int:
    if argv[:1] != ["write"]:
        print("usage: python -m tests.repro.containers.ctlab write [sample-substring]")
        return 2
    only = argv[1] if len(argv) > 1 else ""
    for sc in ALL:
        if only in sc.sample:
            out = capture(sc)
            (RULES / sc.sample).write_text(out)
            print(f"--- {sc.sample}\n{out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
