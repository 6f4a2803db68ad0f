"""End-to-end: the installed ``kb`` command in a subprocess, as users and CI run it."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "tests" / "fixtures" / "pack"
DEMO = PACK / "demo"
GOLDEN = Path(__file__).resolve().parent / "golden"


def kb(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None,
       cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "NO_COLOR": "", **(env or {})}
    full_env.pop("NO_COLOR")
    proc = subprocess.run(
        [sys.executable, "-m", "kb_cli.main", *args], input=stdin, capture_output=True,
        env=full_env, cwd=cwd, timeout=120,
    )
    return subprocess.CompletedProcess(proc.args, proc.returncode,
                                       proc.stdout.decode(), proc.stderr.decode())


def demo(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return kb(*args, "--rules", str(PACK), "--no-bundled", **kw)  # type: ignore[arg-type]


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("KB_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; KB_UPDATE_GOLDEN=1 to accept"


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_golden_outputs(fmt: str) -> None:
    sample = DEMO / "demo-errors.pool.pos.log"
    res = demo("diagnose", "--format", fmt, str(sample))
    assert res.returncode == 0, res.stderr
    check_golden(f"diagnose-pool.{fmt}", res.stdout)


def test_explain_lists_every_signature_hit_and_miss() -> None:
    res = demo("diagnose", "--explain", "--format", "text",
               str(DEMO / "demo-errors.env-missing.neg.log"))
    assert res.returncode == 1
    assert "RULED OUT" in res.stdout and "demo-errors/env-missing" in res.stdout


def test_stdin_is_the_default_input_and_json_parses() -> None:
    res = demo("diagnose", "--format", "json",
               stdin=(DEMO / "demo-errors.worker-timeout.pos.log").read_bytes())
    data = json.loads(res.stdout)
    assert res.returncode == 0
    assert data["diagnoses"][0]["id"] == "demo-errors/worker-timeout"


def test_exit_codes_follow_grep() -> None:
    assert demo("diagnose", stdin=b"INFO all good\n").returncode == 1
    res = demo("diagnose", stdin=b"")
    assert res.returncode == 2 and "input is empty" in res.stderr
    res = demo("diagnose", stdin=b"\x00\x01\x02binary")
    assert res.returncode == 2 and "binary" in res.stderr and "Traceback" not in res.stderr
    res = demo("diagnose", stdin=gzip.compress(b"hello"))
    assert res.returncode == 2 and "zcat" in res.stderr
    res = demo("diagnose", "/nonexistent/file.log")
    assert res.returncode == 2 and "cannot read" in res.stderr
    assert kb("diagnose", "--top", "x").returncode == 2


def test_a_broken_rule_is_named_and_skipped_and_diagnosis_goes_on() -> None:
    res = kb("diagnose", "--rules", str(ROOT / "tests" / "fixtures" / "bad"), "--rules",
             str(PACK), "--no-bundled", str(DEMO / "demo-errors.pool.pos.log"))
    assert res.returncode == 0
    assert re.search(r"broken-rule\.yaml:4: colour: Extra inputs are not permitted", res.stderr)
    assert "Traceback (most recent call last)" not in res.stderr
    assert "demo-errors/pool" in res.stdout


def test_a_mistyped_rules_path_is_an_error_not_an_empty_pack(tmp_path: Path) -> None:
    typo = str(tmp_path / "team-rules")
    sample = str(DEMO / "demo-errors.pool.pos.log")
    res = kb("diagnose", "--rules", typo, "--no-bundled", sample)
    assert res.returncode == 2 and res.stdout == ""
    assert f"--rules {typo}: no such rule folder or file" in res.stderr
    res = kb("lint", typo)
    assert res.returncode == 2
    assert f"{typo}: error: no such rule folder or file" in res.stdout
    res = kb("test", typo, "--no-bundled")
    assert res.returncode == 2 and f"{typo}: no such rule folder or file" in res.stderr
    # A stale KB_RULES_PATH entry warns; the diagnosis goes on with the other packs.
    res = demo("diagnose", sample, env={"KB_RULES_PATH": typo})
    assert res.returncode == 0 and "demo-errors/pool" in res.stdout
    assert f"{typo}: no such rule folder or file" in res.stderr


def test_lint_collects_every_error_compiler_style() -> None:
    res = kb("lint", str(ROOT / "tests" / "fixtures" / "bad"))
    assert res.returncode == 2
    lines = res.stdout.splitlines()
    assert any(re.match(r".*bad-regex\.yaml:10: causes\[0\]\.signatures\[0\]\.pattern: error: "
                        r"not a safe \(RE2\) regex", ln) for ln in lines)
    assert any("over-broad" in ln for ln in lines)
    assert any("placeholder {thing}" in ln for ln in lines)
    assert any("can never be reported" in ln for ln in lines)
    assert any("has no positive sample" in ln for ln in lines)
    assert lines[-1].startswith("kb lint: 4 rule files, ")


def test_test_command_reports_a_summary_line() -> None:
    res = kb("test", str(PACK), "--no-bundled")
    assert res.returncode == 0, res.stdout
    assert res.stdout.splitlines()[-1] == "test: 6 passed, 0 failed"


def test_search_show_and_list() -> None:
    res = demo("search", "worker", "timeout")
    assert res.returncode == 0 and "demo-errors" in res.stdout
    res = demo("show", "demo-errors")
    assert res.returncode == 0
    for section in ("WHAT IT USUALLY MEANS", "Causes", "Fix:", "Verify:"):
        assert section.lower() in res.stdout.lower()
    res = demo("show", "no-such-page")
    assert res.returncode == 1 and "no runbook page" in res.stderr
    res = demo("list")
    assert "1 pages, 3 causes" in res.stdout


@pytest.mark.parametrize("cmd", ["diagnose", "search", "show", "list", "lint", "test", "schema"])
def test_every_command_has_help(cmd: str) -> None:
    res = kb(cmd, "--help")
    assert res.returncode == 0 and "usage: kb " + cmd in res.stdout


def test_colour_only_on_request_or_terminal() -> None:
    sample = str(DEMO / "demo-errors.pool.pos.log")
    assert "\x1b[" not in demo("diagnose", sample).stdout
    assert "\x1b[" in demo("diagnose", "--color", "always", sample).stdout


def test_schema_file_is_current() -> None:
    assert kb("schema", "--check", str(ROOT / "rules" / "schema.json")).returncode == 0


def test_readme_examples_run() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\$ (kb .+)$", readme, re.MULTILINE)
    assert len(commands) >= 8
    for line in commands:
        args = line.split()[1:]
        res = kb(*args)
        assert res.returncode in (0, 1), f"{line}: {res.stderr}"
        assert res.stdout.strip(), line
    first = readme.split("```bash\n", 1)[1].split("\n", 1)[0]
    assert first.startswith("pip install . && kb diagnose ")
    sample = first.split("kb diagnose ", 1)[1]
    assert kb("diagnose", sample).returncode == 0, "the README's first command must diagnose"


def test_progress_goes_to_stderr_and_never_changes_json(tmp_path: Path) -> None:
    big = tmp_path / "big.log"
    line = b"2026-11-27 10:00:00,001 INFO [app] GET /api/items 200 3ms\n"
    big.write_bytes(line * (17 * 1024 * 1024 // len(line)) +
                    (DEMO / "demo-errors.pool.pos.log").read_bytes())
    quiet = demo("diagnose", "--format", "json", "--progress", "never", str(big))
    loud = demo("diagnose", "--format", "json", "--progress", "always", str(big))
    assert quiet.returncode == loud.returncode == 0
    assert quiet.stdout == loud.stdout
    assert "kb: scanning" in loud.stderr and "kb: scanning" not in quiet.stderr


def test_two_processes_give_the_same_json_as_one(tmp_path: Path) -> None:
    line = b"2026-11-27 10:00:00,001 INFO [app] GET /api/items 200 3ms\n"
    filler = line * (13 * 1024 * 1024 // len(line))
    pool = (DEMO / "demo-errors.pool.pos.log").read_bytes()
    env = (DEMO / "demo-errors.env-missing.pos.log").read_bytes()
    timeout = (DEMO / "demo-errors.worker-timeout.pos.log").read_bytes()
    big = tmp_path / "big.log"
    big.write_bytes(pool + filler + env + filler + timeout + filler + pool + filler + env)
    one = demo("diagnose", "--format", "json", "--jobs", "1", str(big))
    two = demo("diagnose", "--format", "json", "--jobs", "0", str(big))
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout
    data = json.loads(two.stdout)
    assert data["input"]["bytes"] == big.stat().st_size
    assert {d["id"] for d in data["diagnoses"]} >= {"demo-errors/pool", "demo-errors/env-missing"}


@pytest.mark.parametrize("command", [["list"],
                                     ["diagnose", str(DEMO / "demo-errors.pool.pos.log")]])
def test_a_reader_that_leaves_early_gets_no_traceback(command: list[str]) -> None:
    # `kb ... | head -1`: the reader is gone before kb writes (its read end is closed here
    # before kb has even imported), so every write kb makes meets a broken pipe.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.Popen([sys.executable, "-m", "kb_cli.main", *command], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 1)
    assert err == ""  # no "Exception ignored ... BrokenPipeError" nor a traceback


def test_the_whole_output_arrives_through_a_pipe() -> None:
    # kb leaves with os._exit: what sits in stdout's buffer must be flushed first.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as
    out = subprocess.run(  # a user's shell has it
        [sys.executable, "-m", "kb_cli.main", "list", "--format", "json"], cwd=ROOT, env=env,
        capture_output=True, check=True, timeout=120).stdout
    assert len(out) > 8192 and len(json.loads(out)) >= 10  # the bundled pack: two buffers
