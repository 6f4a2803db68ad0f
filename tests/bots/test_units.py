"""Unit tests of the pure parts: Block Kit builders, redaction, settings, store, helpers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from bots.kb_slack import blocks as B
from bots.kb_slack.app import cap_input, clean_slack_text
from bots.kb_slack.cli import main as cli_main
from bots.kb_slack.config import ConfigError, load_settings
from bots.kb_slack.redact import MASK, redact
from bots.kb_slack.store import Feedback, Reply, Store, export_lines, sqlite_path

from .conftest import sample
from .fake_slack import block_kit_problems, view_problems

# -- Block Kit builders ------------------------------------------------------------------------


def _report(rules: Any, rel: str) -> dict[str, Any]:
    return dict(rules.diagnose(sample(rel), top=3).to_dict())


def test_diagnosis_message_shows_cause_confidence_evidence_fix_verify(rules: Any) -> None:
    rep = _report(rules, "sqlalchemy/sqlalchemy-pool-exhausted.connections-not-returned.pos.log")
    msg = B.diagnosis_message(rep)
    assert not block_kit_problems(msg.as_kwargs())
    flat = json.dumps(msg.blocks)
    d = rep["diagnoses"][0]
    assert d["id"] in flat and "confidence" in flat
    assert "*Evidence*" in flat and "*Fix*" in flat and "*Verify*" in flat
    assert "L43" in flat  # evidence line numbers
    ids = [e["action_id"] for b in msg.blocks if b["type"] == "actions" for e in b["elements"]]
    assert {"kb_runbook_1", "kb_fixed_1", "kb_wrong_1"} <= set(ids)
    value = next(e["value"] for b in msg.blocks if b["type"] == "actions"
                 for e in b["elements"] if e["action_id"] == "kb_fixed_1")
    assert json.loads(value)["f"] == rep["input"]["fingerprint"]
    assert msg.text.startswith("Diagnosis:")


def _huge_report() -> dict[str, Any]:
    ev = [{"line": i, "text": "x" * 499, "signature": "s", "weight": 0.5, "count": 1}
          for i in range(1, 40)]
    step = {"text": "do the thing " * 80, "command": "run --this " * 60, "expect": "ok " * 50}
    diag = {"rank": 1, "id": "p/c", "page": "p", "page_title": "P" * 300, "cause": "c",
            "title": "T" * 400, "confidence": 0.9, "explanation": "E" * 5000,
            "evidence": ev, "fix": [step] * 10, "verify": [step] * 10,
            "applicability": {"applies": False, "note": "N" * 3000}, "ranking": "R" * 3000}
    return {"schema": "kb.report/1", "status": "diagnosed",
            "input": {"kind": "python", "lines": 9, "fingerprint": "abcdefabcdef",
                      "headline": "H" * 5000, "versions": {"x": "1"}},
            "diagnoses": [dict(diag, rank=i, id=f"p/c{i}") for i in range(1, 6)],
            "warnings": ["W" * 4000] * 5}


def test_huge_report_is_cut_to_limits_with_visible_note() -> None:
    msg = B.diagnosis_message(_huge_report(), notes=["n" * 5000])
    assert not block_kit_problems(msg.as_kwargs())
    assert B.text_size(msg.blocks) <= B.MESSAGE_BUDGET
    assert len(msg.blocks) <= 50
    flat = json.dumps(msg.blocks)
    assert "cut to fit Slack" in flat or "truncated for Slack" in flat
    # code fences stay balanced in every section
    for b in msg.blocks:
        if b["type"] == "section":
            assert b["text"]["text"].count("```") % 2 == 0


def test_diagnoses_beyond_the_shown_ones_get_a_visible_note() -> None:
    diag = {"rank": 1, "id": "p/c", "page": "p", "page_title": "Page", "cause": "c",
            "title": "Cause", "confidence": 0.9, "explanation": "Why.", "evidence": [],
            "fix": [{"text": "Fix it."}], "verify": [{"text": "Check it."}],
            "applicability": {"applies": True, "note": None}}
    report = {"schema": "kb.report/1", "status": "diagnosed",
              "input": {"kind": "python", "lines": 9, "fingerprint": "abcdefabcdef",
                        "headline": "E: x", "versions": {}},
              "diagnoses": [dict(diag, rank=i, id=f"p/c{i}") for i in range(1, 11)],
              "warnings": []}
    flat = json.dumps(B.diagnosis_message(report, max_diagnoses=5).blocks)
    assert "5 more diagnoses" in flat


def test_enforce_limits_drops_blocks_beyond_50() -> None:
    blocks = [B.section(f"row {i}") for i in range(120)]
    out = B.enforce_limits(blocks)
    assert len(out) == 50
    assert "cut to fit" in out[-1]["elements"][0]["text"]
    assert len(B.enforce_limits(blocks[:50])) == 50  # exactly 50: untouched, no note


def test_clip_keeps_fence_balanced_and_notes() -> None:
    text = "```" + "\n".join(f"line {i}" for i in range(1000)) + "```"
    out = B.clip(text, 500)
    assert len(out) <= 500 and out.count("```") == 2 and "truncated" in out


def test_user_text_cannot_ping_or_break_code() -> None:
    out = B.code_text("<!channel> <@U123> ``` & done xoxb-123456789-abcdefgh")
    assert "<!channel>" not in out and "&lt;!channel&gt;" in out
    assert "```" not in out and MASK in out and "&amp;" in out


def test_no_diagnosis_says_so_and_offers_search(rules: Any) -> None:
    rep = dict(rules.diagnose("everything is fine\nall good\n", top=3).to_dict())
    msg = B.diagnosis_message(rep, related=[("python-recursion", "Recursion")])
    flat = json.dumps(msg.blocks)
    assert "No diagnosis" in flat and "/kb search" in flat
    assert B.ACTION_SEARCH in flat and "kb_runbook_r1" in flat
    assert not block_kit_problems(msg.as_kwargs())


def test_runbook_view_for_every_page_fits(rules: Any) -> None:
    for pid in rules.page_ids():
        view = B.runbook_view(rules.page(pid))
        assert not view_problems(view), pid


def test_runbook_view_huge_page_truncated() -> None:
    cause = {"id": "c", "title": "t" * 200, "explanation": "e" * 4000,
             "fix": [{"text": "f" * 900}] * 5, "verify": ["v" * 900] * 5}
    page = {"id": "big", "title": "B" * 400, "summary": "s" * 4000, "causes": [cause] * 40,
            "references": [{"title": "r", "url": "https://example.org/x"}] * 40}
    view = B.runbook_view(page)
    assert not view_problems(view)
    assert "kb show big" in json.dumps(view)


def test_modals_valid() -> None:
    assert not view_problems(B.wrong_feedback_view({"c": "C", "m": "1.2", "d": "p/c"}))
    assert not view_problems(B.search_view())
    assert not view_problems(B.search_results_view("x", []))


# -- redaction ---------------------------------------------------------------------------------

SECRETS = [
    ("token=xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp", "xoxb-1234567890"),
    ("xapp-1-A0123-456-abcdef0123456789", "xapp-1-A0123"),
    ("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX", "XXXXXXXXXXXXXXXX"),
    ("postgresql://app:s3cr3t-pw@db.internal:5432/app", "s3cr3t-pw"),
    ("redis://:hunter2pass@cache:6379/0", "hunter2pass"),
    ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz", "c2lnbmF0"),
    ("curl -H 'Authorization: Bearer abcdef0123456789abcdef'", "abcdef0123456789abcdef"),
    ('{"password": "correct horse battery"}', "correct"),
    ("PASSWORD=Tr0ub4dor&3", "Tr0ub4dor"),
    ("ghp_0123456789abcdefghijABCDEFGHIJ012345", "ghp_0123456789"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabc\n-----END RSA PRIVATE KEY-----",
     "MIIEpAIBAAKCAQEA7"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n(cut)", "b3BlbnNzaC1rZXkt"),
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_redact_secrets(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out and MASK in out
    assert redact(out) == out  # idempotent


def test_redact_keeps_ordinary_traceback() -> None:
    text = sample("sqlalchemy/sqlalchemy-pool-exhausted.connections-not-returned.pos.log")
    assert redact(text) == text


def test_redact_is_fast_on_hostile_input() -> None:
    hostile = ("password=" + "a" * 50 + " ") * 5000 + "x://" + ":" * 200_000 + "-----BEGIN "
    t0 = time.perf_counter()
    redact(hostile + "A" * 500_000)
    assert time.perf_counter() - t0 < 3.0


# -- text helpers ------------------------------------------------------------------------------


def test_clean_slack_text() -> None:
    raw = "<@UBOT> look <https://x.example/a|x.example/a> in <#C1|ops> <@UOTHER> <!here>"
    assert clean_slack_text(raw, "UBOT") == "look https://x.example/a in #ops @UOTHER @here"


def test_cap_input_keeps_the_tail() -> None:
    text = "".join(f"line {i}\n" for i in range(100_000))
    out, note = cap_input(text, 10_000)
    assert len(out.encode()) <= 10_000 and out.endswith("line 99999\n") and note
    assert cap_input("short", 10_000) == ("short", None)


# -- settings ----------------------------------------------------------------------------------


def test_settings_defaults_and_validation() -> None:
    s = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert s.mode == "socket" and s.api_url == "https://slack.com/api/" and s.port == 3000
    assert "xoxb" not in repr(s) and "xapp" not in str(s)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1"})
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "KB_SLACK_MODE": "http"})
    with pytest.raises(ConfigError, match="KB_SLACK_PORT"):
        load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
                       "KB_SLACK_PORT": "99999"})
    with pytest.raises(ConfigError, match="must be a bot token"):
        load_settings({"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_APP_TOKEN": "xapp-1"})
    h = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "KB_SLACK_MODE": "http",
                       "SLACK_SIGNING_SECRET": "s", "KB_SLACK_API_URL": "http://127.0.0.1:1/api",
                       "KB_SLACK_DB_URL": "postgresql://u:pw@h/db"})
    assert h.api_url == "http://127.0.0.1:1/api/" and "pw" not in repr(h)


def test_check_config_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                          ) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-value")
    assert cli_main(["check-config"]) == 2
    assert "SLACK_APP_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-secret-value")
    assert cli_main(["check-config"]) == 0
    assert "secret-value" not in capsys.readouterr().out


# -- store -------------------------------------------------------------------------------------


def test_sqlite_path() -> None:
    assert sqlite_path("sqlite:///rel/x.db") == "rel/x.db"
    assert sqlite_path("sqlite:////abs/x.db") == "/abs/x.db"
    assert sqlite_path("sqlite:///:memory:") == ":memory:"


def test_claim_is_shared_between_two_replicas(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.sqlite3"
    a, b = Store(url), Store(url)
    try:
        assert a.claim("evt:1") is True
        assert b.claim("evt:1") is False
        assert b.claim("evt:2") is True and a.claim("evt:2") is False
    finally:
        a.close()
        b.close()


def test_feedback_upsert_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path}/fb.sqlite3"
    s = Store(url)
    fb = Feedback("T", "C", "1.1", "U", "p/c", "abcdefabcdef", "fixed", 0.9)
    s.record_feedback(fb)
    s.record_feedback(Feedback("T", "C", "1.1", "U", "p/c", "abcdefabcdef", "wrong", 0.9))
    assert s.set_actual("C", "1.1", "U", "p/c", "it was DNS") is True
    s.save_reply(Reply("msg:C:1", "C", "1", "2", "h", "f"))
    assert s.get_reply("msg:C:1") == Reply("msg:C:1", "C", "1", "2", "h", "f")
    rows = [json.loads(x) for x in export_lines(s, "jsonl")]
    assert len(rows) == 1 and rows[0]["verdict"] == "wrong" and rows[0]["actual"] == "it was DNS"
    assert rows[0]["fingerprint"] == "abcdefabcdef"
    csv_lines = list(export_lines(s, "csv"))
    assert csv_lines[0].startswith("created_at,") and len(csv_lines) == 2
    s.close()
    assert cli_main(["export-feedback", "--format", "jsonl", "--db", url]) == 0
    assert json.loads(capsys.readouterr().out.strip())["diagnosis_id"] == "p/c"


# -- manifest ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["manifest.yaml", "manifest-http.yaml"])
def test_manifest_matches_the_code(name: str) -> None:
    import yaml

    from bots.kb_slack.app import COMMAND, SHORTCUT_ID

    m = yaml.safe_load((Path(__file__).resolve().parents[2] / "slack" / name).read_text())
    assert [c["command"] for c in m["features"]["slash_commands"]] == [COMMAND]
    assert [s["callback_id"] for s in m["features"]["shortcuts"]] == [SHORTCUT_ID]
    assert m["features"]["shortcuts"][0]["name"] == "Diagnose with kb"
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_mention", "message.im", "message.channels", "message.groups"}
    assert set(m["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read", "chat:write", "commands", "files:read", "im:history",
        "channels:history", "groups:history"}
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is (name == "manifest.yaml")
    if name == "manifest-http.yaml":
        assert m["settings"]["event_subscriptions"]["request_url"].endswith("/slack/events")


def test_rules_path_loads_extra_packs(tmp_path: Path) -> None:
    from bots.kb_slack.engine import load_ruleset

    from .conftest import RULES

    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1",
           "KB_RULES_PATH": str(RULES / "python")}
    settings = load_settings(env)
    assert settings.rules_paths == (RULES / "python",)
    assert "python-recursion" in load_ruleset(settings.rules_paths).page_ids()
    with pytest.raises(ConfigError, match="KB_RULES_PATH"):
        load_settings({**env, "KB_RULES_PATH": str(tmp_path / "missing")})


def test_rule_errors_at_start_up_are_logged_not_lost(caplog: pytest.LogCaptureFixture) -> None:
    from bots.kb_slack.engine import load_ruleset

    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    with caplog.at_level("WARNING", logger="bots.kb_slack.engine"):
        rules = load_ruleset([fixtures / "bad", fixtures / "pack"])
    assert "demo-errors" in rules.page_ids()
    assert any("rule error, skipped: " in r.getMessage()
               and "broken-rule.yaml:4: colour" in r.getMessage() for r in caplog.records)
