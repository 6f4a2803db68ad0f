"""Import boundaries: a pure engine, YAML in one place, Slack only in bots/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = sorted((ROOT / "kb_engine").glob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            found.add(node.func.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            found.add(f"{node.value.id}.{node.attr}")
    return found


def test_engine_never_imports_the_cli_the_bot_or_slack() -> None:
    for path in ENGINE:
        for mod in _imports(path):
            top = mod.split(".")[0]
            assert top not in {"kb_cli", "bots", "slack_bolt", "slack_sdk", "argparse"}, (
                f"{path.name} imports {mod}")


def test_yaml_is_parsed_only_by_the_loader() -> None:
    users = {p.name for p in ENGINE if "yaml" in _imports(p)}
    assert users == {"loader.py"}


def test_engine_does_no_printing_argv_or_env_outside_the_loader() -> None:
    for path in ENGINE:
        names = _names(path)
        assert "print" not in names, path.name
        assert "sys.argv" not in names, path.name
        if path.name != "loader.py":
            assert "os.environ" not in names, path.name
        if path.name not in ("loader.py", "rulecache.py"):  # the loader and its disk cache
            assert "open" not in names, path.name
            assert "os.replace" not in names, path.name


def test_modules_stay_small() -> None:
    for path in [*ENGINE, *sorted((ROOT / "kb_cli").glob("*.py"))]:
        n = len(path.read_text(encoding="utf-8").splitlines())
        assert n <= 400, f"{path.name} has {n} lines: split it"
