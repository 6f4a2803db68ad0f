"""kb_engine's C helpers, built with AddressSanitizer, pass their own tests.

The helpers read bytes pasted from Slack: an out-of-bounds read must fail a test, not
wait for a crash in a channel. pymalloc hides small overruns inside its arenas, so the
run uses the system allocator (``PYTHONMALLOC=malloc``), whose blocks ASan fences. A
header on the window's last line with a line count past it read beyond the bytes before
it was caught here (the fuzz in test_tbscan.py).

Skipped where there is no C compiler or no libasan; CI has both (``.ci/run`` installs
gcc, whose runtime ships libasan).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("_speedups", "_hitbuf", "_tbscan")


def _libasan() -> str | None:
    cc = shutil.which("gcc")
    if cc is None:
        return None
    out = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True)
    path = out.stdout.strip()
    return path if out.returncode == 0 and os.path.isabs(path) and os.path.exists(path) else None


# Loads the sanitized builds under the installed modules' names, then runs pytest.
_RUNNER = """
import importlib.machinery, importlib.util, sys
build = sys.argv[1]
for name in {modules!r}:
    full = "kb_engine." + name
    loader = importlib.machinery.ExtensionFileLoader(full, f"{{build}}/{{name}}.so")
    spec = importlib.util.spec_from_loader(full, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules[full] = module
from kb_engine import speedups, tbscan
assert tbscan._may_parse is sys.modules["kb_engine._tbscan"].may_parse
assert sys.modules["kb_engine._tbscan"].__file__.startswith(build)
import pytest
sys.exit(pytest.main(["-q", "-x", "-p", "no:cacheprovider", *sys.argv[2:]]))
"""


def test_the_c_helpers_pass_their_tests_under_address_sanitizer(tmp_path: Path) -> None:
    libasan = _libasan()
    if libasan is None:
        pytest.skip("no gcc with libasan here")
    include = sysconfig.get_paths()["include"]
    for name in MODULES:
        subprocess.run(["gcc", "-fsanitize=address", "-fno-omit-frame-pointer", "-g", "-O1",
                        "-shared", "-fPIC", f"-I{include}", f"-I{ROOT / 'kb_engine'}",
                        str(ROOT / "kb_engine" / f"{name}.c"), "-o", str(tmp_path / f"{name}.so")],
                       check=True, capture_output=True)
    env = dict(os.environ, LD_PRELOAD=libasan, PYTHONMALLOC="malloc",
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=0", KB_REQUIRE_SPEEDUPS="1")
    tests = [str(ROOT / "tests" / "engine" / f) for f in ("test_tbscan.py", "test_speedups.py")]
    out = subprocess.run([sys.executable, "-c", _RUNNER.format(modules=MODULES), str(tmp_path),
                          *tests], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-3000:])
    assert "AddressSanitizer" not in out.stderr
