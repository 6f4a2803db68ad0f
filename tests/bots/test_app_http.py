"""The real bolt App in HTTP mode, driven by signed requests, talking to the fake Slack."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest

from bots.kb_slack.app import KbBot
from bots.kb_slack.store import Store
from bots.kb_slack.worker import BoundedExecutor

from . import slackreq as R
from .conftest import make_settings, sample
from .fake_slack import BOT_ID, BOT_TOKEN, BOT_USER, FakeSlack

# Uses servers on 127.0.0.1 (the fake Slack, and more): marked slow as the brief asks.
pytestmark = pytest.mark.slow

POOL = "sqlalchemy/sqlalchemy-pool-exhausted.connections-not-returned.pos.log"
POOL_ID = "sqlalchemy-pool-exhausted/connections-not-returned"


def bodies(fake: FakeSlack) -> str:
    return json.dumps([c.body for c in fake.calls])


def answer(fake: FakeSlack, n: int = 1) -> dict[str, Any]:
    """The n-th final answer (chat.update) the bot made."""
    return fake.wait_count("chat.update", n)[n - 1].body


def mention_and_wait(bot: KbBot, fake: FakeSlack, text: str, **kw: Any) -> dict[str, Any]:
    ev = R.mention(text, **kw)
    assert R.dispatch(bot.app, R.json_body(R.event_envelope(ev))).status == 200
    upd = answer(fake)
    return {"event": ev, "update": upd, "post": fake.of("chat.postMessage")[0].body}


# -- the main path -----------------------------------------------------------------------------


def test_mention_placeholder_then_update_in_thread(bot: KbBot, fake: FakeSlack,
                                                    store: Store) -> None:
    r = mention_and_wait(bot, fake, "prod is down:\n```" + sample(POOL) + "```")
    ev, post, upd = r["event"], r["post"], r["update"]
    assert post["channel"] == "C0CHAN" and post["thread_ts"] == ev["ts"]
    assert "Analysing" in post["text"]
    placeholder_ts = fake.of("chat.postMessage")[0]
    assert upd["channel"] == "C0CHAN"
    assert POOL_ID in json.dumps(upd["blocks"]) and upd["text"].startswith("Diagnosis:")
    assert fake.methods().count("chat.postMessage") == 1  # placeholder only, then update
    reply = store.get_reply(f"msg:C0CHAN:{ev['ts']}")
    assert reply is not None and reply.reply_ts == upd["ts"] and len(reply.fingerprint) == 12
    assert placeholder_ts.headers["authorization"] == f"Bearer {BOT_TOKEN}"


def test_reply_in_existing_thread_uses_thread_ts(bot: KbBot, fake: FakeSlack) -> None:
    r = mention_and_wait(bot, fake, sample(POOL), thread_ts="1700000000.000001")
    assert r["post"]["thread_ts"] == "1700000000.000001"


def test_dm_is_answered_in_thread(bot: KbBot, fake: FakeSlack) -> None:
    ev = R.dm(sample(POOL))
    assert R.dispatch(bot.app, R.json_body(R.event_envelope(ev))).status == 200
    upd = answer(fake)
    assert fake.of("chat.postMessage")[0].body["thread_ts"] == ev["ts"]
    assert POOL_ID in json.dumps(upd["blocks"])


def test_dm_help_gets_usage(bot: KbBot, fake: FakeSlack) -> None:
    R.dispatch(bot.app, R.json_body(R.event_envelope(R.dm("help"))))
    assert "/kb search" in json.dumps(answer(fake)["blocks"])


def test_no_diagnosis_says_so_and_offers_search(bot: KbBot, fake: FakeSlack) -> None:
    r = mention_and_wait(bot, fake, "INFO all good\nINFO request served in 3ms\n")
    flat = json.dumps(r["update"]["blocks"])
    assert "No diagnosis" in flat and "kb_search_open" in flat


def test_empty_mention_outside_thread_explains(bot: KbBot, fake: FakeSlack) -> None:
    r = mention_and_wait(bot, fake, "")
    assert "nothing to diagnose" in json.dumps(r["update"]["blocks"])


def test_mention_in_thread_diagnoses_the_parent(bot: KbBot, fake: FakeSlack) -> None:
    parent_ts = "1700000001.000100"
    fake.threads[("C0CHAN", parent_ts)] = [
        {"type": "message", "user": "UOTHER", "ts": parent_ts, "text": sample(POOL)}]
    r = mention_and_wait(bot, fake, "", thread_ts=parent_ts)
    assert fake.of("conversations.replies")[0].body["ts"] == parent_ts
    flat = json.dumps(r["update"]["blocks"])
    assert POOL_ID in flat and "started this thread" in flat


def test_mention_under_an_alert_bot_post_diagnoses_it_but_never_our_own(
        bot: KbBot, fake: FakeSlack) -> None:
    alert_ts, own_ts = "1700000002.000100", "1700000003.000100"
    fake.threads[("C0CHAN", alert_ts)] = [{"type": "message", "subtype": "bot_message",
                                           "bot_id": "BALERT", "ts": alert_ts,
                                           "text": sample(POOL)}]
    fake.threads[("C0CHAN", own_ts)] = [{"type": "message", "user": BOT_USER, "bot_id": BOT_ID,
                                         "ts": own_ts, "text": sample(POOL)}]
    r = mention_and_wait(bot, fake, "", thread_ts=alert_ts)
    assert POOL_ID in json.dumps(r["update"]["blocks"])
    R.dispatch(bot.app, R.json_body(R.event_envelope(R.mention("", thread_ts=own_ts))))
    assert "nothing to diagnose" in json.dumps(answer(fake, 2)["blocks"])


# -- Slack's delivery behaviour ----------------------------------------------------------------


@pytest.mark.parametrize("how", ["tamper", "stale", "future"])
def test_bad_signature_or_stale_timestamp_rejected(bot: KbBot, fake: FakeSlack, how: str) -> None:
    env = R.json_body(R.event_envelope(R.mention(sample(POOL))))
    skew = {"tamper": 0, "stale": -6 * 60, "future": 6 * 60}[how]
    resp = R.dispatch(bot.app, env, skew=skew, tamper=how == "tamper")
    assert resp.status == 401
    fake.settle(0.3)
    assert "chat.postMessage" not in fake.methods()


def test_retried_delivery_answered_once(bot: KbBot, fake: FakeSlack) -> None:
    env = R.json_body(R.event_envelope(R.mention(sample(POOL))))
    assert R.dispatch(bot.app, env).status == 200
    assert R.dispatch(bot.app, env, retry_num=1).status == 200
    assert R.dispatch(bot.app, env, retry_num=2).status == 200
    answer(fake)
    fake.settle()
    assert fake.methods().count("chat.postMessage") == 1
    assert fake.methods().count("chat.update") == 1


def test_same_message_via_two_event_types_answered_once(bot: KbBot, fake: FakeSlack) -> None:
    ev = R.dm(f"<@{BOT_USER}> " + sample(POOL))
    mention = dict(ev, type="app_mention")
    R.dispatch(bot.app, R.json_body(R.event_envelope(ev)))
    R.dispatch(bot.app, R.json_body(R.event_envelope(mention)))
    answer(fake)
    fake.settle()
    assert fake.methods().count("chat.postMessage") == 1


def test_two_replicas_sharing_the_store_answer_once(fake: FakeSlack, rules: Any,
                                                    tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared.sqlite3"
    stores = [Store(url), Store(url)]
    bots = [KbBot(make_settings(fake, db_url=url), rules, s) for s in stores]
    env = R.json_body(R.event_envelope(R.mention(sample(POOL))))
    threads = [threading.Thread(target=R.dispatch, args=(b.app, env)) for b in bots]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    answer(fake)
    fake.settle()
    assert fake.methods().count("chat.postMessage") == 1
    for b, s in zip(bots, stores, strict=True):
        b.executor.shutdown()
        s.close()


@pytest.mark.parametrize("event", [
    R.mention("Traceback ...", bot_id="BOTHER", user="UOTHERBOT"),
    R.mention("Traceback ...", user=BOT_USER, bot_id=BOT_ID),
    R.dm("Traceback ...", subtype="bot_message", bot_id="BALERT", user=None),
    R.dm("Traceback ...", user=BOT_USER, bot_id=BOT_ID),
    R.dm("joined", subtype="channel_join"),
    R.dm("", subtype="message_deleted"),
    R.dm("Traceback ...", channel_type="channel", channel="C0CHAN"),  # no mention in a channel
], ids=["other-bot-mention", "own-mention", "bot-message", "own-dm", "join", "deleted",
        "channel-no-mention"])
def test_ignored_messages(bot: KbBot, fake: FakeSlack, event: dict[str, Any]) -> None:
    event = {k: v for k, v in event.items() if v is not None}
    assert R.dispatch(bot.app, R.json_body(R.event_envelope(event))).status == 200
    fake.settle(0.3)
    assert not {"chat.postMessage", "chat.update"} & set(fake.methods())


# -- edits -------------------------------------------------------------------------------------


def _edit(channel: str, msg: dict[str, Any], text: str, channel_type: str = "channel"
          ) -> dict[str, Any]:
    new = dict(msg, text=text, edited={"user": msg.get("user"), "ts": R.next_ts()})
    new.pop("type", None)
    return {"type": "message", "subtype": "message_changed", "channel": channel,
            "channel_type": channel_type, "hidden": True, "message": new,
            "previous_message": msg, "ts": R.next_ts(), "event_ts": R.next_ts()}


def test_edit_of_answered_message_updates_the_same_answer(bot: KbBot, fake: FakeSlack) -> None:
    r = mention_and_wait(bot, fake, "INFO nothing to see")
    first_ts = r["update"]["ts"]
    assert "No diagnosis" in json.dumps(r["update"]["blocks"])
    ev = r["event"]
    edit = _edit("C0CHAN", ev, ev["text"] + "\n" + sample(POOL))
    R.dispatch(bot.app, R.json_body(R.event_envelope(edit)))
    upd = answer(fake, 2)
    assert upd["ts"] == first_ts and POOL_ID in json.dumps(upd["blocks"])
    assert "Updated after the message was edited" in json.dumps(upd["blocks"])
    # an edit that does not change the text (e.g. a link unfurl) does nothing
    R.dispatch(bot.app, R.json_body(R.event_envelope(_edit("C0CHAN", ev, edit["message"]["text"]))))
    fake.settle()
    assert fake.methods().count("chat.update") == 2
    assert fake.methods().count("chat.postMessage") == 1


def test_edit_adding_a_mention_is_answered(bot: KbBot, fake: FakeSlack) -> None:
    msg = {"type": "message", "user": "UHUMAN", "ts": R.next_ts(), "text": sample(POOL)}
    edit = _edit("C0CHAN", msg, f"<@{BOT_USER}> " + sample(POOL))
    R.dispatch(bot.app, R.json_body(R.event_envelope(edit)))
    assert POOL_ID in json.dumps(answer(fake)["blocks"])
    # an edit of an unanswered message that does not mention us is ignored
    other = {"type": "message", "user": "UHUMAN", "ts": R.next_ts(), "text": "hi"}
    R.dispatch(bot.app, R.json_body(R.event_envelope(_edit("C0CHAN", other, "hello"))))
    fake.settle()
    assert fake.methods().count("chat.postMessage") == 1


# -- hostile input -----------------------------------------------------------------------------


def _all_samples() -> str:
    from .conftest import RULES

    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(RULES.glob("*/*.pos*.log")))


def test_huge_paste_fits_block_kit_limits(bot: KbBot, fake: FakeSlack) -> None:
    big = _all_samples()
    assert len(big) > 100_000
    # Slack delivers at most ~40k characters of message text; a file carries the rest.
    r = mention_and_wait(bot, fake, big[-39_000:])
    assert "Most likely" in json.dumps(r["update"]["blocks"])
    f = _file(fake, "everything.log", big.encode())
    ev = R.mention("all of it", files=[f])
    R.dispatch(bot.app, R.json_body(R.event_envelope(ev)))
    flat = json.dumps(answer(fake, 2)["blocks"])
    assert "Most likely" in flat
    # the fake Slack checked every payload against Block Kit limits (fixture teardown)


def test_input_cap_note(fake: FakeSlack, rules: Any, store: Store) -> None:
    bot = KbBot(make_settings(fake, max_input_bytes=2048), rules, store)
    r = mention_and_wait(bot, fake, "x\n" * 3000 + sample(POOL))
    assert "analysed the last 2 KiB" in json.dumps(r["update"]["blocks"])
    bot.executor.shutdown()


def test_secrets_are_redacted_in_everything_echoed(bot: KbBot, fake: FakeSlack) -> None:
    secret_tb = sample(POOL).replace(
        "sqlalchemy.exc.TimeoutError: QueuePool limit",
        "sqlalchemy.exc.TimeoutError: url=postgresql://app:Sup3rSecret@db/app "
        "token xoxb-111111111-222222222-AbCdEfGhIjKl QueuePool limit",
    )
    mention_and_wait(bot, fake, "AKIAIOSFODNN7EXAMPLE\n" + secret_tb)
    fake.settle()
    out = bodies(fake)
    for secret in ("Sup3rSecret", "xoxb-111111111", "AKIAIOSFODNN7EXAMPLE"):
        assert secret not in out


def test_paste_cannot_ping_channel(bot: KbBot, fake: FakeSlack) -> None:
    r = mention_and_wait(bot, fake, "<!channel> " + sample(POOL).replace(
        "QueuePool limit", "<!everyone> QueuePool limit"))
    assert "<!everyone>" not in json.dumps(r["update"])
    assert "<!channel>" not in json.dumps(r["update"])


# -- files -------------------------------------------------------------------------------------


def _file(fake: FakeSlack, name: str, data: bytes, **over: Any) -> dict[str, Any]:
    url = fake.add_file(name, data)
    f = {"id": "F" + name.replace(".", ""), "name": name, "title": name, "mimetype": "text/plain",
         "filetype": "text", "size": len(data), "mode": "hosted",
         "url_private": url, "url_private_download": url + "?download=1"}
    f.update(over)
    return f


def test_file_share_is_downloaded_with_the_bot_token(bot: KbBot, fake: FakeSlack) -> None:
    f = _file(fake, "crash.log", sample(POOL).encode())
    r = mention_and_wait(bot, fake, "see attached", files=[f])
    got = fake.of("file:crash.log")
    assert len(got) == 1 and got[0].headers["authorization"] == f"Bearer {BOT_TOKEN}"
    flat = json.dumps(r["update"]["blocks"])
    assert POOL_ID in flat and "Read file crash.log" in flat


def test_file_share_message_in_dm(bot: KbBot, fake: FakeSlack) -> None:
    f = _file(fake, "snippet.txt", sample(POOL).encode(), mode="snippet", filetype="python")
    ev = R.dm("", subtype="file_share", files=[f])
    R.dispatch(bot.app, R.json_body(R.event_envelope(ev)))
    assert POOL_ID in json.dumps(answer(fake)["blocks"])


def test_file_redirect_is_not_followed(bot: KbBot, fake: FakeSlack) -> None:
    f = _file(fake, "redirect.log", b"")
    r = mention_and_wait(bot, fake, "see file", files=[f])
    assert "redirected" in json.dumps(r["update"]["blocks"])
    assert fake.stolen == [] and "steal" not in fake.methods()


@pytest.mark.parametrize(("over", "data", "reason"), [
    ({"size": 50 * 1024 * 1024}, b"x", "over the"),
    ({"mimetype": "image/png", "filetype": "png"}, b"\x89PNG", "not a text file"),
    ({}, b"\x00\x01binary\x00" * 10, "looks binary"),
    ({"url_private_download": "https://attacker.example/f.log"}, b"x", "not a Slack file host"),
], ids=["too-big", "image", "binary", "foreign-host"])
def test_files_refused(bot: KbBot, fake: FakeSlack, over: dict[str, Any], data: bytes,
                       reason: str) -> None:
    f = _file(fake, "f.log", data, **over)
    r = mention_and_wait(bot, fake, sample(POOL), files=[f])
    flat = json.dumps(r["update"]["blocks"])
    assert reason in flat and POOL_ID in flat  # the text of the message is still diagnosed
    if reason in ("over the", "not a text file", "not a Slack file host"):
        assert "file:f.log" not in fake.methods()  # nothing downloaded at all


def test_file_download_without_token_gets_login_page(fake: FakeSlack, rules: Any,
                                                      store: Store) -> None:
    bot = KbBot(make_settings(fake), rules, store)
    bot.fetcher._token = "xoxb-wrong"  # simulate a token without files:read
    f = _file(fake, "c.log", sample(POOL).encode())
    r = mention_and_wait(bot, fake, "file", files=[f])
    assert "redirected" in json.dumps(r["update"]["blocks"])
    bot.executor.shutdown()


# -- Web API failures --------------------------------------------------------------------------


def test_429_retry_after_is_honoured(bot: KbBot, fake: FakeSlack) -> None:
    fake.fail("chat.update", status=429, retry_after=1)
    mention_and_wait(bot, fake, sample(POOL))
    calls = fake.wait_count("chat.update", 2)
    assert calls[1].at - calls[0].at >= 1.0
    assert POOL_ID in json.dumps(calls[1].body["blocks"])


def test_500_is_retried_once(bot: KbBot, fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", status=500, error="internal_error")
    mention_and_wait(bot, fake, sample(POOL))
    assert fake.methods().count("chat.postMessage") == 2


def test_long_rate_limit_fails_fast_with_apology(bot: KbBot, fake: FakeSlack,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    fake.fail("chat.update", status=429, retry_after=120)
    with caplog.at_level(logging.ERROR, logger="kb_slack"):
        ev = R.mention(sample(POOL))
        R.dispatch(bot.app, R.json_body(R.event_envelope(ev)))
        apology = answer(fake, 2)
    assert "Sorry" in apology["text"]
    assert "diagnosis failed ref=" in caplog.text


class _Broken:
    def __init__(self, rules: Any) -> None:
        self._rules = rules

    def diagnose(self, text: str, *, top: int = 3) -> Any:
        raise RuntimeError("engine exploded: /app/secret/path.py line 12")

    def search(self, query: str, limit: int = 5) -> Any:
        return self._rules.search(query, limit=limit)

    def page(self, page_id: str) -> dict[str, Any]:
        return dict(self._rules.page(page_id))

    def page_ids(self) -> list[str]:
        return list(self._rules.page_ids())


def test_engine_failure_becomes_apology_in_thread(fake: FakeSlack, rules: Any, store: Store,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    bot = KbBot(make_settings(fake), _Broken(rules), store)
    with caplog.at_level(logging.ERROR, logger="kb_slack"):
        r = mention_and_wait(bot, fake, sample(POOL))
    assert "Sorry" in r["update"]["text"]
    out = bodies(fake)
    assert "Traceback" not in out.replace(sample(POOL), "") and "exploded" not in out
    ref = r["update"]["blocks"][0]["text"]["text"].split("`")[1]
    assert f"ref={ref}" in caplog.text and "engine exploded" in caplog.text
    bot.executor.shutdown()


def test_listener_failure_goes_through_the_global_error_handler(
        bot: KbBot, fake: FakeSlack, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(key: str) -> bool:
        raise RuntimeError("db down")

    monkeypatch.setattr(bot.store, "claim", boom)
    with caplog.at_level(logging.ERROR, logger="kb_slack"):
        ev = R.mention(sample(POOL))
        assert R.dispatch(bot.app, R.json_body(R.event_envelope(ev))).status == 200
        post = fake.wait_count("chat.postMessage", 1)[0].body
    assert "Sorry" in post["text"] and post["thread_ts"] == ev["ts"]
    assert "listener failed ref=" in caplog.text


def test_busy_engine_pool_says_so(fake: FakeSlack, rules: Any, store: Store) -> None:
    gate = threading.Event()
    ex = BoundedExecutor(1, 0)
    assert ex.submit(gate.wait, 10) is not None  # occupy the only slot
    bot = KbBot(make_settings(fake), rules, store, executor=ex)
    ev = R.mention(sample(POOL))
    R.dispatch(bot.app, R.json_body(R.event_envelope(ev)))
    post = fake.wait_count("chat.postMessage", 1)[0].body
    assert "busy" in post["text"] and post["thread_ts"] == ev["ts"]
    gate.set()
    ex.shutdown()


# -- slash command -----------------------------------------------------------------------------


def test_command_help_is_immediate(bot: KbBot, fake: FakeSlack) -> None:
    resp = R.dispatch(bot.app, R.form_body(R.command_form("help", fake.response_url())))
    assert resp.status == 200 and "/kb search" in (resp.body or "")


def test_command_search(bot: KbBot, fake: FakeSlack) -> None:
    resp = R.dispatch(bot.app, R.form_body(R.command_form("search queuepool limit",
                                                          fake.response_url())))
    assert resp.status == 200
    hook = fake.wait_count("hooks", 1)[0].body
    assert hook["response_type"] == "ephemeral"
    assert "sqlalchemy-pool-exhausted" in json.dumps(hook["blocks"])


def test_command_diagnose_is_private(bot: KbBot, fake: FakeSlack) -> None:
    R.dispatch(bot.app, R.form_body(R.command_form("diagnose " + sample(POOL),
                                                   fake.response_url())))
    hook = fake.wait_count("hooks", 1)[0].body
    assert hook["response_type"] == "ephemeral" and POOL_ID in json.dumps(hook["blocks"])
    assert "chat.postMessage" not in fake.methods()


def test_command_bare_traceback_is_diagnosed(bot: KbBot, fake: FakeSlack) -> None:
    R.dispatch(bot.app, R.form_body(R.command_form(sample(POOL), fake.response_url())))
    assert POOL_ID in json.dumps(fake.wait_count("hooks", 1)[0].body["blocks"])


def test_command_show_opens_runbook_modal(bot: KbBot, fake: FakeSlack) -> None:
    R.dispatch(bot.app, R.form_body(R.command_form("show sqlalchemy-pool-exhausted",
                                                   fake.response_url())))
    view = fake.wait_count("views.open", 1)[0].body["view"]
    assert "SQLAlchemy connection pool exhausted" in json.dumps(view)


def test_command_show_unknown_page(bot: KbBot, fake: FakeSlack) -> None:
    R.dispatch(bot.app, R.form_body(R.command_form("show no-such-page", fake.response_url())))
    assert "no runbook called" in fake.wait_count("hooks", 1)[0].body["text"].lower()


# -- buttons, modals, feedback -----------------------------------------------------------------


def _diagnosed(bot: KbBot, fake: FakeSlack) -> tuple[str, str]:
    upd = mention_and_wait(bot, fake, sample(POOL))["update"]
    value = next(e["value"] for b in upd["blocks"] if b["type"] == "actions"
                 for e in b["elements"] if e["action_id"] == "kb_fixed_1")
    return value, str(upd["ts"])


def test_this_fixed_it_is_stored_with_fingerprint(bot: KbBot, fake: FakeSlack,
                                                  store: Store) -> None:
    value, ts = _diagnosed(bot, fake)
    act = R.block_action("kb_fixed_1", value, response_url=fake.response_url("a"), message_ts=ts)
    assert R.dispatch(bot.app, R.payload_body(act)).status == 200
    assert "Thanks" in fake.wait_count("hooks", 1)[0].body["text"]
    rows = list(store.feedback())
    assert len(rows) == 1 and rows[0]["verdict"] == "fixed"
    assert rows[0]["diagnosis_id"] == POOL_ID and rows[0]["message_ts"] == ts
    assert rows[0]["fingerprint"] == json.loads(value)["f"] and len(rows[0]["fingerprint"]) == 12


def test_wrong_diagnosis_modal_stores_what_it_was(bot: KbBot, fake: FakeSlack,
                                                  store: Store) -> None:
    value, ts = _diagnosed(bot, fake)
    act = R.block_action("kb_wrong_1", value, response_url=fake.response_url("a"), message_ts=ts)
    R.dispatch(bot.app, R.payload_body(act))
    view = fake.wait_count("views.open", 1)[0].body["view"]
    assert view["callback_id"] == "kb_wrong_modal"
    assert next(iter(store.feedback()))["verdict"] == "wrong"
    sub = R.view_submission(
        "kb_wrong_modal",
        {"actual": {"text": {"type": "plain_text_input",
                             "value": "pgbouncer was down, pw=hunter2hunter"}}},
        private_metadata=view["private_metadata"])
    resp = R.dispatch(bot.app, R.payload_body(sub))
    assert resp.status == 200
    row = next(iter(store.feedback()))
    assert row["actual"].startswith("pgbouncer was down") and "hunter2" not in row["actual"]


def test_malformed_feedback_value_is_ignored(bot: KbBot, fake: FakeSlack, store: Store) -> None:
    act = R.block_action("kb_fixed_1", "{not json" * 300, response_url=fake.response_url())
    assert R.dispatch(bot.app, R.payload_body(act)).status == 200
    fake.settle()
    assert list(store.feedback()) == []


def test_full_runbook_button_opens_modal_and_pushes_from_a_modal(bot: KbBot,
                                                                 fake: FakeSlack) -> None:
    act = R.block_action("kb_runbook_1", "sqlalchemy-pool-exhausted",
                         response_url=fake.response_url())
    R.dispatch(bot.app, R.payload_body(act))
    assert fake.wait_count("views.open", 1)[0].body["trigger_id"] == "trig-action"
    act = R.block_action("kb_runbook_s1", "sqlalchemy-pool-exhausted",
                         response_url=fake.response_url(), in_view=True)
    R.dispatch(bot.app, R.payload_body(act))
    fake.wait_count("views.push", 1)


def test_search_button_and_modal(bot: KbBot, fake: FakeSlack) -> None:
    R.dispatch(bot.app, R.payload_body(R.block_action("kb_search_open", "search",
                                                      response_url=fake.response_url())))
    assert fake.wait_count("views.open", 1)[0].body["view"]["callback_id"] == "kb_search_modal"
    sub = R.view_submission("kb_search_modal",
                            {"q": {"text": {"type": "plain_text_input", "value": "queuepool"}}})
    resp = R.dispatch(bot.app, R.payload_body(sub))
    body = json.loads(resp.body)
    assert body["response_action"] == "update"
    assert "sqlalchemy-pool-exhausted" in json.dumps(body["view"])


# -- message shortcut --------------------------------------------------------------------------


def test_message_shortcut_answers_in_the_thread(bot: KbBot, fake: FakeSlack) -> None:
    msg = {"type": "message", "user": "UOTHER", "ts": R.next_ts(), "text": sample(POOL)}
    sc = R.message_shortcut(msg, response_url=fake.response_url())
    assert R.dispatch(bot.app, R.payload_body(sc)).status == 200
    upd = answer(fake)
    assert fake.of("chat.postMessage")[0].body["thread_ts"] == msg["ts"]
    assert POOL_ID in json.dumps(upd["blocks"])
    # a second shortcut on the same message points to the existing answer
    R.dispatch(bot.app, R.payload_body(R.message_shortcut(msg, response_url=fake.response_url())))
    assert "already answered" in fake.wait_count("hooks", 1)[0].body["text"]
    assert fake.methods().count("chat.postMessage") == 1


def test_message_shortcut_not_in_channel_answers_privately(bot: KbBot, fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", error="not_in_channel")
    msg = {"type": "message", "user": "UOTHER", "ts": R.next_ts(), "text": sample(POOL)}
    R.dispatch(bot.app, R.payload_body(R.message_shortcut(msg, response_url=fake.response_url())))
    hook = fake.wait_count("hooks", 1)[0].body
    assert hook["response_type"] == "ephemeral" and POOL_ID in json.dumps(hook["blocks"])
    assert "/invite" in json.dumps(hook["blocks"])


def test_slack_signature_golden_vector() -> None:
    """Slack's documented example (secret, timestamp, body -> signature)."""
    from slack_sdk.signature import SignatureVerifier

    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
            "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebh"
            "ook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J"
            "%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0"
            "bc887a14d10d2c447fce8b6703c")
    sig = SignatureVerifier("8f742231b10e8888abcd99yyyzzz85a5").generate_signature(
        timestamp="1531420618", body=body)
    assert sig == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
