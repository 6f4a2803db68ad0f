"""Run the pydantic reproduction scripts in ``cases/`` and (re)write their samples.

Each case script is copied to a fresh temporary directory as ``app.py`` and run with the
current interpreter; stdout and stderr are captured
interleaved, as a terminal would show them. Machine paths are rewritten to the neutral
forms the samples use (``/app``, ``/usr/local/lib/python3.11/...``).

    python3 tests/repro/pydantic/pyd_repro.py          # rewrite every sample from a live run
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
RULES = HERE.parents[2] / "rules" / "pydantic"
SHARED: tuple[str, ...] = ()

# sample file name -> (case script, expected cause, "pos" | "neg")
SAMPLES: dict[str, tuple[str, str, str]] = {}


def sample(name: str, script: str, cause: str, kind: str) -> None:
    SAMPLES[name] = (script, cause, kind)


M, V = "pydantic-v2-migration", "pydantic-validation-error"

for page, cause, pos, neg in [
    (M, "basesettings-moved", "basesettings_moved", "regex_removed"),
    (M, "v1-validator-decorator", "validator_deprecated", "dict_deprecated"),
    (M, "class-based-config", "config_class", "validator_deprecated"),
    (M, "config-key-renamed", "orm_mode_renamed", "config_class"),
    (M, "v1-model-methods", "dict_deprecated", "validator_deprecated"),
    (M, "field-regex-removed", "regex_removed", "const_removed"),
    (M, "field-const-removed", "const_removed", "regex_removed"),
    (M, "root-field-removed", "root_model", "forward_refs"),
    (M, "class-not-fully-defined", "forward_refs", "update_forward_refs"),
    (M, "from-orm-needs-from-attributes", "from_orm_legacy", "forward_refs"),
    (V, "int-parsing", "int_parsing", "string_type"),
    (V, "field-required", "field_required", "extra_forbidden"),
    (V, "extra-forbidden", "extra_forbidden", "field_required"),
    (V, "no-str-coercion", "string_type", "int_parsing"),
    (V, "model-type-from-attributes", "from_orm_without_attributes", "json_invalid"),
    (V, "json-invalid", "json_invalid", "int_parsing"),
]:
    sample(f"{page}.{cause}.pos.log", pos, f"{page}/{cause}", "pos")
    sample(f"{page}.{cause}.neg.log", neg, f"{page}/{cause}", "neg")
sample(
    "pydantic-v2-migration.v1-model-methods.pos.update-forward-refs.log",
    "update_forward_refs",
    "pydantic-v2-migration/v1-model-methods",
    "pos",
)


def neutralise(text: str, workdir: str) -> str:
    """Rewrite this machine's paths to the neutral forms used in committed samples."""
    paths = sysconfig.get_paths()
    site, stdlib = paths["purelib"], paths["stdlib"]
    pairs = [
        (os.path.relpath(site, workdir), "/usr/local/lib/python3.11/site-packages"),
        (site, "/usr/local/lib/python3.11/site-packages"),
        (os.path.relpath(stdlib, workdir), "/usr/local/lib/python3.11"),
        (stdlib, "/usr/local/lib/python3.11"),
        (os.path.realpath(workdir), "/app"),
        (workdir, "/app"),
    ]
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def run_case(script: str, timeout: float = 60) -> str:
    """Run ``cases/<script>.py`` as /app/app.py and return its neutralised output."""
    with tempfile.TemporaryDirectory(prefix="kb-repro-") as tmp:
        for name in SHARED:
            shutil.copy(CASES / name, Path(tmp) / name)
        shutil.copy(CASES / f"{script}.py", Path(tmp) / "app.py")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        proc = subprocess.run(
            [sys.executable, "app.py"],
            cwd=tmp,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        return neutralise(proc.stdout, tmp)


def write_samples(names: list[str] | None = None) -> None:
    cache: dict[str, str] = {}
    for name, (script, _cause, _kind) in SAMPLES.items():
        if names and name not in names:
            continue
        if script not in cache:
            cache[script] = run_case(script)
        (RULES / name).write_text(cache[script])
        print("wrote", RULES / name)


if __name__ == "__main__":
    write_samples(sys.argv[1:] or None)
