"""Builders for signed Slack requests (Events API, slash commands, interactivity)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import quote, urlencode

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from .fake_slack import BOT_USER, TEAM

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
_ids = itertools.count(1)
_ts = itertools.count(1)


def next_ts() -> str:
    return f"1710000000.{next(_ts):06d}"


def sign(body: str, *, secret: str = SIGNING_SECRET, skew: int = 0, tamper: bool = False
         ) -> dict[str, str]:
    ts = str(int(time.time()) + skew)
    sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert sig is not None
    if tamper:
        sig = sig[:-4] + ("0000" if not sig.endswith("0000") else "1111")
    return {"x-slack-request-timestamp": ts, "x-slack-signature": sig}


def event_envelope(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy-unused",
        "team_id": TEAM,
        "api_app_id": "A0001",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": BOT_USER,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }


def mention(text: str, *, channel: str = "C0CHAN", user: str = "UHUMAN", ts: str | None = None,
            thread_ts: str | None = None, files: list[dict[str, Any]] | None = None,
            **extra: Any) -> dict[str, Any]:
    ts = ts or next_ts()
    ev: dict[str, Any] = {
        "type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts,
        "channel": channel, "event_ts": ts, "client_msg_id": f"cm-{ts}", "team": TEAM,
    }
    if thread_ts:
        ev["thread_ts"] = thread_ts
    if files:
        ev["files"] = files
    ev.update(extra)
    return ev


def dm(text: str, *, channel: str = "D0DM", user: str = "UHUMAN", ts: str | None = None,
       **extra: Any) -> dict[str, Any]:
    ts = ts or next_ts()
    ev: dict[str, Any] = {
        "type": "message", "channel_type": "im", "user": user, "text": text, "ts": ts,
        "channel": channel, "event_ts": ts, "client_msg_id": f"cm-{ts}", "team": TEAM,
    }
    ev.update(extra)
    return ev


def command_form(text: str, response_url: str, *, command: str = "/kb",
                 trigger_id: str = "trig-1") -> dict[str, str]:
    return {
        "token": "legacy-unused", "team_id": TEAM, "team_domain": "test",
        "channel_id": "C0CHAN", "channel_name": "oncall", "user_id": "UHUMAN",
        "user_name": "human", "command": command, "text": text,
        "api_app_id": "A0001", "response_url": response_url, "trigger_id": trigger_id,
    }


def block_action(action_id: str, value: str, *, response_url: str, message_ts: str = "1.0",
                 channel: str = "C0CHAN", user: str = "UHUMAN", in_view: bool = False
                 ) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": "human", "team_id": TEAM},
        "api_app_id": "A0001", "token": "legacy-unused",
        "trigger_id": "trig-action",
        "team": {"id": TEAM, "domain": "test"},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "kb_a1",
                     "value": value, "action_ts": str(time.time())}],
    }
    if in_view:
        payload["container"] = {"type": "view", "view_id": "V1"}
        payload["view"] = {"id": "V1", "type": "modal", "callback_id": "kb_search_modal"}
    else:
        payload["container"] = {"type": "message", "message_ts": message_ts,
                                "channel_id": channel, "is_ephemeral": False}
        payload["channel"] = {"id": channel, "name": "oncall"}
        payload["message"] = {"type": "message", "ts": message_ts, "bot_id": "BBOT",
                              "text": "Diagnosis"}
        payload["response_url"] = response_url
    return payload


def view_submission(callback_id: str, values: dict[str, Any], *, private_metadata: str = "",
                    user: str = "UHUMAN") -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "test"},
        "user": {"id": user, "username": "human", "team_id": TEAM},
        "api_app_id": "A0001", "token": "legacy-unused", "trigger_id": "trig-view",
        "view": {"id": "V1", "type": "modal", "callback_id": callback_id,
                 "private_metadata": private_metadata, "state": {"values": values}},
    }


def message_shortcut(message: dict[str, Any], *, response_url: str, channel: str = "C0CHAN"
                     ) -> dict[str, Any]:
    return {
        "type": "message_action", "callback_id": "kb_diagnose_message",
        "trigger_id": "trig-sc", "message_ts": message["ts"], "response_url": response_url,
        "team": {"id": TEAM, "domain": "test"}, "channel": {"id": channel, "name": "oncall"},
        "user": {"id": "UHELPER", "name": "helper"}, "message": message, "token": "x",
    }


# -- encoding + dispatch ---------------------------------------------------------------------


def json_body(envelope: dict[str, Any]) -> tuple[str, str]:
    return json.dumps(envelope), "application/json"


def form_body(form: dict[str, str]) -> tuple[str, str]:
    return urlencode(form), "application/x-www-form-urlencoded"


def payload_body(payload: dict[str, Any]) -> tuple[str, str]:
    return "payload=" + quote(json.dumps(payload)), "application/x-www-form-urlencoded"


def dispatch(app: App, encoded: tuple[str, str], *, retry_num: int | None = None,
             skew: int = 0, tamper: bool = False) -> BoltResponse:
    body, ctype = encoded
    headers: dict[str, str | list[str]] = {"content-type": [ctype]}
    for k, v in sign(body, skew=skew, tamper=tamper).items():
        headers[k] = [v]
    if retry_num is not None:
        headers["x-slack-retry-num"] = [str(retry_num)]
        headers["x-slack-retry-reason"] = ["http_timeout"]
    return app.dispatch(BoltRequest(body=body, headers=headers))  # type: ignore[arg-type]
