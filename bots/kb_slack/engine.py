"""The slice of kb_engine's public API the bot uses, as structural types.

The bot only ever calls ``load_rules()`` and the ``RuleSet`` methods below, and renders only
``Report.to_dict()`` (the ``kb.report/1`` JSON contract). Tests can pass any object with the same
shape (for instance a wrapper that injects failures).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

REPORT_SCHEMA = "kb.report/1"
log = logging.getLogger(__name__)


class ReportLike(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


class SearchHitLike(Protocol):
    @property
    def page_id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def score(self) -> float: ...

    @property
    def snippet(self) -> str: ...


class RuleSetLike(Protocol):
    def diagnose(self, text: str, *, top: int = ...) -> ReportLike: ...

    def search(self, query: str, limit: int = ...) -> Sequence[SearchHitLike]: ...

    def page(self, page_id: str) -> dict[str, Any]: ...

    def page_ids(self) -> list[str]: ...


def load_ruleset(paths: Sequence[Path] = ()) -> RuleSetLike:
    """Load the bundled rule pack plus any extra packs (``KB_RULES_PATH``)."""
    from kb_engine import load_rules

    loaded = load_rules(list(paths)) if paths else load_rules()
    # Skipped pages and missing KB_RULES_PATH folders: the bot still answers with the rest,
    # and the operator sees why a team's rules never fire.
    for err in loaded.load_errors:
        log.warning("rule error, skipped: %s", err)
    rs: RuleSetLike = loaded
    return rs


class SchemaMismatch(RuntimeError):
    """The engine produced a report in a schema this bot does not understand."""


def report_dict(rs: RuleSetLike, text: str, top: int) -> dict[str, Any]:
    """Diagnose ``text`` and return the contract dict, after checking its schema version."""
    data = rs.diagnose(text, top=top).to_dict()
    if data.get("schema") != REPORT_SCHEMA:
        raise SchemaMismatch(f"unexpected report schema {data.get('schema')!r}")
    return data
