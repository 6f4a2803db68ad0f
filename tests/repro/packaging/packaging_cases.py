"""Python packaging/import reproductions: real interpreters, real pip, venvs cached under the
repro cache dir, and a local wheel directory instead of any extra index.

    python3 tests/repro/packaging/packaging_cases.py [SUBSTRING...]   # regenerate samples
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root: tests.repro

from pkgharness import local_index

from tests.repro import harness
from tests.repro.servers.srvharness import CACHE_DIR, PY, scrub_paths, venv

PROJECTS = Path(__file__).resolve().parent / "projects"
RULES = harness.RULES
PIP_VERSION = "26.3"


def _find_python(version: str) -> str:
    """A working interpreter for ``version`` (pyenv shims that refuse to run are skipped)."""
    pyenv = sorted(str(p) for p in Path.home().glob(f".pyenv/versions/{version}.*/bin/python3"))
    candidates = [shutil.which(f"python{version}") or "", f"/usr/bin/python{version}", *pyenv]
    for c in candidates:
        if not (c and Path(c).exists()):
            continue
        probe = subprocess.run([c, "-c", "pass"], capture_output=True, check=False, timeout=30)
        if probe.returncode == 0:
            return c
    return ""


PY312 = _find_python("3.12")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


def _run(argv: list[str], cwd: Path, **env: str) -> str:
    return harness.run(argv, cwd, _env(**env), timeout=300)


def _scrub(text: str, app: Path | None = None) -> str:
    text = text.replace(str(CACHE_DIR / "wheels"), "/wheels")
    return scrub_paths(text, app)


def _clean_venv() -> Path:
    return venv("clean", [])


def _pip_venv() -> Path:
    """Current pip, nothing else; reset to a known state before each case."""
    return venv("pip", [f"pip=={PIP_VERSION}"])


def _pip(*args: str) -> str:
    v = _pip_venv()
    local_index()
    py = str(v / "bin" / "python")
    _run([py, "-m", "pip", "uninstall", "-y", "kbdemo-core", "kbdemo-reports", "kbdemo-billing",
          "kbdemo-future"], CACHE_DIR)
    out = ""
    for step in args:
        out = _run([py, "-m", "pip", "install", "--no-index", "--find-links", "wheels",
                    *step.split()], CACHE_DIR)
    return _scrub(out)


# --------------------------------------------------------------- packaging/python-import-errors
def module_not_installed() -> str:
    v = _clean_venv()
    return _scrub(_run([str(v / "bin" / "python"), "main.py"], PROJECTS / "needs_requests"),
                  PROJECTS / "needs_requests")


def _uvicorn_dependency_missing() -> str:
    from tests.repro.servers.servers_cases import app_dependency_missing

    return app_dependency_missing()


def python_m_missing() -> str:
    v = _clean_venv()
    return _scrub(_run([str(v / "bin" / "python"), "-m", "uvicorn", "main:app"], PROJECTS))


def module_spec_wrong_dir() -> str:
    # python -m app.main from a directory that does not contain the app package
    d = PROJECTS / "rel" / "app"
    return _scrub(_run([PY, "-m", "app.main"], d), PROJECTS / "rel")


def cant_open_file() -> str:
    v = _clean_venv()
    out = _run([str(v / "bin" / "python"), str(PROJECTS / "main.py")], PROJECTS)
    return _scrub(out, PROJECTS)


def open_missing_config() -> str:
    out = _run([PY, "-c", "open('config.yaml').read()"], PROJECTS)
    return _scrub(out, PROJECTS)


def relative_no_parent() -> str:
    d = PROJECTS / "rel"
    return _scrub(_run([PY, "app/main.py"], d), d)


def relative_beyond_top() -> str:
    d = PROJECTS / "beyond"
    return _scrub(_run([PY, "main.py"], d), d)


def circular_import() -> str:
    d = PROJECTS / "circ"
    return _scrub(_run([PY, "main.py"], d), d)


def name_removed() -> str:
    d = PROJECTS / "jinja"
    return _scrub(_run([PY, "render.py"], d), d)


def distutils_removed() -> str:
    v = venv("py312", [], python=PY312)
    out = _run([str(v / "bin" / "python"), "distutils_app.py"], PROJECTS)
    return _scrub(out, PROJECTS)


def _pytest(project: str) -> str:
    d = PROJECTS / project
    return _scrub(_run([PY, "-m", "pytest", "-q"], d), d)


def pytest_src_layout() -> str:
    return _pytest("srclayout")


def pytest_missing_in_test() -> str:
    return _pytest("lazyimport")


# --------------------------------------------------------------- packaging/pip-install-errors
def resolution_impossible() -> str:
    return _pip("kbdemo-reports kbdemo-billing")


def installed_conflict() -> str:
    return _pip("kbdemo-reports", "kbdemo-core==2.0.0")


def no_matching_version() -> str:
    return _pip("kbdemo-core==3.0")


def requires_python() -> str:
    return _pip("kbdemo-future")


def healthy_install() -> str:
    return _pip("kbdemo-reports")


def _hash_req(digest: str) -> str:
    req = CACHE_DIR / f"requirements-{digest[:8]}.txt"
    req.write_text(f"kbdemo-core==1.0.0 --hash=sha256:{digest}\n")
    return _pip(f"--require-hashes -r {req.name}")


def hash_mismatch() -> str:
    return _hash_req("0" * 64)


def hash_ok() -> str:
    import hashlib

    whl = local_index() / "kbdemo_core-1.0.0-py3-none-any.whl"
    return _hash_req(hashlib.sha256(whl.read_bytes()).hexdigest())


def externally_managed() -> str:
    return _scrub(_run(["/usr/bin/python3", "-m", "pip", "install", "kbdemo-core"], CACHE_DIR))


# ------------------------------------------------------------------ packaging/pkg-resources
def _old_setuptools_venv() -> Path:
    v = venv("setuptools80", ["setuptools==80.9.0"])
    _run([str(v / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links",
          str(local_index()), "kbdemo-core==2.0.0"], CACHE_DIR)
    return v


def distribution_not_found() -> str:
    v = _old_setuptools_venv()
    d = PROJECTS / "pkgres"
    return _scrub(_run([str(v / "bin" / "python"), "version.py"], d), d)


def version_conflict() -> str:
    v = _old_setuptools_venv()
    d = PROJECTS / "pkgres"
    return _scrub(_run([str(v / "bin" / "python"), "check.py"], d), d)


def pkg_resources_missing() -> str:
    v = venv("setuptools-current", ["setuptools==84.2.1"])
    d = PROJECTS / "pkgres"
    return _scrub(_run([str(v / "bin" / "python"), "version.py"], d), d)


CASES: dict[str, tuple[Callable[[], str], str, str]] = {}


def _add(page: str, cause: str, pos: Callable[[], str], neg: Callable[[], str]) -> None:
    harness.add_samples(CASES, page, cause, {"": pos}, [neg], folder="packaging")


_add("python-import-errors", "module-not-installed", module_not_installed, distutils_removed)
# the same cause as uvicorn prints it: the app module was found, its own import failed
harness.add_samples(CASES, "python-import-errors", "module-not-installed",
                    {"uvicorn": _uvicorn_dependency_missing}, [], folder="packaging")
_add("python-import-errors", "python-m-module-missing", python_m_missing, module_not_installed)
_add("python-import-errors", "module-spec-wrong-dir", module_spec_wrong_dir, python_m_missing)
_add("python-import-errors", "script-path-not-found", cant_open_file, open_missing_config)
_add("python-import-errors", "relative-import-no-parent", relative_no_parent,
     relative_beyond_top)
_add("python-import-errors", "circular-import", circular_import, name_removed)
_add("python-import-errors", "name-removed-in-upgrade", name_removed, circular_import)
_add("python-import-errors", "distutils-removed", distutils_removed, module_not_installed)
_add("python-import-errors", "pytest-src-layout", pytest_src_layout, pytest_missing_in_test)
_add("pip-install-errors", "resolution-impossible", resolution_impossible, installed_conflict)
_add("pip-install-errors", "installed-conflict", installed_conflict, resolution_impossible)
_add("pip-install-errors", "no-matching-version", no_matching_version, requires_python)
_add("pip-install-errors", "requires-python", requires_python, no_matching_version)
_add("pip-install-errors", "hash-mismatch", hash_mismatch, hash_ok)
_add("pip-install-errors", "externally-managed", externally_managed, healthy_install)
_add("pkg-resources", "distribution-not-found", distribution_not_found, version_conflict)
_add("pkg-resources", "version-conflict", version_conflict, distribution_not_found)
_add("pkg-resources", "pkg-resources-missing", pkg_resources_missing, module_not_installed)

def _debian_pip() -> str:
    """/usr/bin/python3 when it has pip and a PEP 668 marker, else ""."""
    marker = list(Path("/usr/lib").glob("python3*/EXTERNALLY-MANAGED"))
    if not marker or not Path("/usr/bin/python3").exists():
        return ""
    probe = subprocess.run(["/usr/bin/python3", "-m", "pip", "--version"], capture_output=True,
                           check=False, timeout=60)
    return "/usr/bin/python3" if probe.returncode == 0 else ""


# what each case needs from the machine (tests skip, with the reason, when it is absent)
NEEDS: dict[Callable[[], str], tuple[Callable[[], str], str]] = {
    distutils_removed: (lambda: PY312, "a python3.12 interpreter"),
    externally_managed: (_debian_pip, "Debian's python3 with pip and a PEP 668 marker"),
}


if __name__ == "__main__":
    harness.write_samples(CASES, harness.call, RULES, sys.argv[1:], substring=True)
