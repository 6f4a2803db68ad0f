"""Fixtures: a fake Slack on loopback and the real bolt App (HTTP mode) wired to it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("slack_bolt")

from bots.kb_slack.app import KbBot
from bots.kb_slack.config import Settings
from bots.kb_slack.engine import load_ruleset
from bots.kb_slack.store import Store

from .fake_slack import BOT_TOKEN, FakeSlack
from .slackreq import SIGNING_SECRET

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(autouse=True)
def _no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a real token from the environment reach a test (bolt reads SLACK_*)."""
    for k in list(os.environ):
        if k.startswith(("SLACK_", "KB_SLACK_")):
            monkeypatch.delenv(k)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    try:
        yield server
    finally:
        server.stop()
    assert not server.violations, f"Block Kit limits broken: {server.violations}"
    assert not server.stolen, f"a redirect was followed: {server.stolen}"


@pytest.fixture(scope="session")
def rules() -> Any:
    return load_ruleset()


def make_settings(fake: FakeSlack, **over: Any) -> Settings:
    base: dict[str, Any] = dict(
        bot_token=BOT_TOKEN, app_token="xapp-1-test", signing_secret=SIGNING_SECRET,
        mode="http", api_url=fake.api_url, db_url="sqlite:///:memory:", workers=2,
        queue_size=8, max_retry_after=5, http_timeout=10,
    )
    base.update(over)
    return Settings(**base)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path}/kb.sqlite3")
    yield s
    s.close()


@pytest.fixture
def bot(fake: FakeSlack, rules: Any, store: Store) -> Iterator[KbBot]:
    b = KbBot(make_settings(fake), rules, store)
    yield b
    b.executor.shutdown(wait=True)


def sample(rel: str) -> str:
    return (RULES / rel).read_text(encoding="utf-8")
