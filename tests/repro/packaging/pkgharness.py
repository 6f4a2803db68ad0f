"""Tiny local package index for the packaging reproductions.

Wheels are written directly (a wheel is a zip with METADATA/WHEEL/RECORD), so
no build backend or network is needed; pip installs them with ``--no-index
--find-links``.  Venvs are cached under the shared repro cache dir.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Sequence
from pathlib import Path

from tests.repro.servers.srvharness import CACHE_DIR


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel(
    dest: Path,
    name: str,
    version: str,
    requires: Sequence[str] = (),
    requires_python: str | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    """Write ``name-version-py3-none-any.whl`` into ``dest`` and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    mod = name.replace("-", "_")
    dist_info = f"{mod}-{version}.dist-info"
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        meta.append(f"Requires-Python: {requires_python}")
    meta += [f"Requires-Dist: {r}" for r in requires]
    contents = dict(files or {f"{mod}/__init__.py": f'__version__ = "{version}"\n'})
    contents[f"{dist_info}/METADATA"] = "\n".join(meta) + "\n"
    contents[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: kb-repro\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    path = dest / f"{mod}-{version}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(path, "w") as zf:
        for fname, text in contents.items():
            data = text.encode()
            zf.writestr(fname, data)
            records.append(_record_line(fname, data))
        records.append(f"{dist_info}/RECORD,,")
        zf.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return path


def local_index() -> Path:
    """The shared set of wheels the pip reproductions install from."""
    d = CACHE_DIR / "wheels"
    build_wheel(d, "kbdemo-core", "1.0.0")
    build_wheel(d, "kbdemo-core", "2.0.0")
    build_wheel(d, "kbdemo-reports", "1.0.0", requires=["kbdemo-core<2"])
    build_wheel(d, "kbdemo-billing", "1.0.0", requires=["kbdemo-core>=2"])
    build_wheel(d, "kbdemo-future", "1.0.0", requires_python=">=3.13")
    return d
