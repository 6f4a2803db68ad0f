"""The python-runtime pages' failures, provoked for real with this interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import RULES, same_error, scrub, top_cause

CASES = {
    "python-recursion.infinite-recursion": (
        "class Node:\n"
        "    def __init__(self):\n"
        "        self.parent = self\n"
        "    def to_dict(self):\n"
        "        return {'parent': self.parent.to_dict()}\n"
        "Node().to_dict()\n"
    ),
    "python-recursion.deep-data": (
        "import json\n"
        "data = cur = []\n"
        "for _ in range(100000):\n"
        "    nxt = []\n"
        "    cur.append(nxt)\n"
        "    cur = nxt\n"
        "json.dumps(data)\n"
    ),
    "python-unicode-decode.wrong-file-encoding": (
        "import csv, sys\n"
        "path = sys.argv[1]\n"
        "open(path, 'wb').write('id,name\\n1,Caf\\u00e9\\n'.encode('latin-1'))\n"
        "with open(path, newline='', encoding='utf-8') as fh:\n"
        "    list(csv.reader(fh))\n"
    ),
    "python-unicode-decode.binary-payload": (
        "import gzip\n"
        "gzip.compress(b'{}').decode('utf-8')\n"
    ),
}


def run(code: str, tmp: Path) -> str:
    script = tmp / "app.py"
    script.write_text(code)
    proc = subprocess.run([sys.executable, str(script), str(tmp / "export.csv")],
                          capture_output=True, text=True, timeout=120, cwd=tmp)
    assert proc.returncode != 0
    return scrub(proc.stderr.replace(str(tmp), "/app"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_failure_is_diagnosed_and_matches_its_sample(name: str, tmp_path: Path) -> None:
    captured = run(CASES[name], tmp_path)
    page, cause = name.split(".")
    assert top_cause(captured) == f"{page}/{cause}"
    same_error(captured, RULES / "python" / f"{name}.pos.log")
