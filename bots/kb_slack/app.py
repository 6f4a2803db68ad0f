"""The bolt App: thin listeners that filter, deduplicate, ack and hand work to the engine pool.

Flow for a paste (mention, DM, message shortcut, edit of an answered message):
listener (bolt pool): drop bots/subtypes -> claim event id -> claim message -> submit job.
job (our pool): placeholder in the thread -> read files -> redact -> engine -> chat.update.
Any exception in a job becomes an apology in the thread plus one log line with a reference.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from . import blocks as B
from .client import make_client, send_response
from .config import Settings
from .engine import RuleSetLike, report_dict
from .files import FileFetcher, FileRejected
from .redact import redact
from .store import Feedback, Reply, Store
from .worker import BoundedExecutor

log = logging.getLogger("kb_slack")

SHORTCUT_ID = "kb_diagnose_message"
COMMAND = "/kb"
MIN_PASTE_CHARS = 12
MAX_SEARCH_CHARS = 200
MAX_COMMAND_CHARS = 40_000
PASTE_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
_MENTION = re.compile(r"<@([A-Z0-9]{2,20})(?:\|[^>]{0,80})?>")
_LINK = re.compile(r"<((?:https?|mailto|ftp)://?[^>|\s]{1,2000})(?:\|[^>]{0,500})?>")
_CHANNEL = re.compile(r"<#[A-Z0-9]{2,20}\|([^>]{0,80})>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]{0,40})?>")
_RESULT = "kb.diagnosis"


@dataclass
class Paste:
    """One request to diagnose a message's text and files, answered in its thread."""

    team: str
    channel: str
    ts: str
    thread_ts: str
    user: str
    text: str
    files: list[dict[str, Any]] = field(default_factory=list)
    source: str = "mention"  # mention | dm | shortcut | edit
    bot_user_id: str | None = None
    bot_id: str | None = None
    response_url: str | None = None
    reply_ts: str | None = None  # an existing answer to update in place (edits)
    received: float = field(default_factory=time.monotonic)

    @property
    def key(self) -> str:
        return message_key(self.channel, self.ts)


def message_key(channel: str, ts: str) -> str:
    return f"msg:{channel}:{ts}"


def text_hash(text: str, files: list[dict[str, Any]]) -> str:
    h = hashlib.sha256(text.encode("utf-8", "replace"))
    for f in files:
        h.update(str(f.get("id", "")).encode())
    return h.hexdigest()[:16]


def clean_slack_text(text: str, bot_user_id: str | None) -> str:
    """Undo Slack's message markup: drop mentions of the bot, unwrap links, channels, users."""

    def mention(m: re.Match[str]) -> str:
        return "" if m.group(1) == bot_user_id else "@" + m.group(1)

    text = _MENTION.sub(mention, text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _CHANNEL.sub(lambda m: "#" + m.group(1), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    return text.strip()


def cap_input(text: str, max_bytes: int) -> tuple[str, str | None]:
    """Keep at most ``max_bytes`` of UTF-8, from the *end* (the error is usually last)."""
    raw = text.encode("utf-8", "replace")
    if len(raw) <= max_bytes:
        return text, None
    tail = raw[-max_bytes:].decode("utf-8", "ignore")
    nl = tail.find("\n")
    if 0 <= nl < 4096:
        tail = tail[nl + 1:]
    note = (f"The input was {len(raw) // 1024} KiB; I analysed the last "
            f"{max_bytes // 1024} KiB.")
    return tail, note


def thread_of(msg: dict[str, Any]) -> str:
    return str(msg.get("thread_ts") or msg.get("ts") or "")


def is_from_bot(msg: dict[str, Any]) -> bool:
    """Bot posts (ours or another app's), Slackbot, and messages with no human author."""
    return bool(msg.get("bot_id") or msg.get("bot_profile") or msg.get("subtype") == "bot_message"
                or not msg.get("user") or msg.get("user") == "USLACKBOT")


def is_ours(msg: dict[str, Any], bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and msg.get("user") == bot_user_id


class KbBot:
    """Owns the bolt App, the engine pool, the store and the file fetcher."""

    def __init__(
        self,
        settings: Settings,
        rules: RuleSetLike,
        store: Store,
        *,
        client: WebClient | None = None,
        executor: BoundedExecutor | None = None,
        on_result: Callable[[Paste, dict[str, Any]], None] | None = None,
    ) -> None:
        self.settings = settings
        self.rules = rules
        self.store = store
        self.client = client or make_client(settings)
        self.executor = executor or BoundedExecutor(settings.workers, settings.queue_size)
        self.fetcher = FileFetcher(
            settings.bot_token, settings.api_url, max_bytes=settings.max_file_bytes,
            timeout=settings.http_timeout, extra_hosts=settings.extra_file_hosts,
        )
        self.on_result = on_result
        self.app = App(
            client=self.client,
            signing_secret=settings.signing_secret or "socket-mode-does-not-sign",
            request_verification_enabled=settings.mode == "http",
            process_before_response=False,
            logger=logging.getLogger("kb_slack.bolt"),
        )
        self._register()

    # ---------------------------------------------------------------------------------------
    # registration

    def _register(self) -> None:
        app = self.app
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.command(COMMAND)(self.on_command)
        app.shortcut(SHORTCUT_ID)(self.on_shortcut)
        app.action(re.compile(rf"^{B.ACTION_RUNBOOK}(_\w+)?$"))(self.on_runbook)
        app.action(re.compile(rf"^{B.ACTION_FIXED}(_\w+)?$"))(self.on_fixed)
        app.action(re.compile(rf"^{B.ACTION_WRONG}(_\w+)?$"))(self.on_wrong)
        app.action(B.ACTION_SEARCH)(self.on_search_open)
        app.view(B.VIEW_WRONG)(self.on_wrong_submit)
        app.view(B.VIEW_SEARCH)(self.on_search_submit)
        app.error(self.on_error)

    # ---------------------------------------------------------------------------------------
    # dedup

    def _claim_event(self, body: dict[str, Any], event: dict[str, Any]) -> bool:
        event_id = body.get("event_id")
        if isinstance(event_id, str) and event_id:
            key = f"evt:{event_id}"
        elif event.get("client_msg_id"):
            key = f"cmid:{event.get('channel')}:{event['client_msg_id']}"
        else:
            key = f"ets:{event.get('channel')}:{event.get('event_ts') or event.get('ts')}"
        if not self.store.claim(key):
            log.info("duplicate delivery ignored: %s", key)
            return False
        return True

    # ---------------------------------------------------------------------------------------
    # events

    def on_mention(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if is_from_bot(event) or event.get("subtype") not in PASTE_SUBTYPES:
            return
        if not self._claim_event(body, event):
            return
        paste = self._paste_from_message(body, event, event.get("channel", ""), "mention",
                                         context.bot_user_id, context.bot_id)
        self._start(paste)

    def on_message(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        subtype = event.get("subtype")
        if subtype == "message_changed":
            self._on_edit(body, event, context)
            return
        if subtype not in PASTE_SUBTYPES or is_from_bot(event):
            return  # joins, deletions, bot posts, our own messages...
        if event.get("channel_type") != "im":
            return  # channel messages are answered only when they mention us (app_mention)
        if not self._claim_event(body, event):
            return
        paste = self._paste_from_message(body, event, event.get("channel", ""), "dm",
                                         context.bot_user_id, context.bot_id)
        self._start(paste)

    def _on_edit(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        """Edits: if we answered the message, re-diagnose and update that answer in place; if
        the edit adds a mention of us (or it is a DM) and we never answered, answer it now.
        Edits that do not change the text (link unfurls) are ignored."""
        msg = event.get("message")
        channel = str(event.get("channel", ""))
        if not isinstance(msg, dict) or is_from_bot(msg) or not msg.get("ts"):
            return
        text = str(msg.get("text") or "")
        files = [f for f in msg.get("files") or [] if isinstance(f, dict)]
        h = text_hash(text, files)
        reply = self.store.get_reply(message_key(channel, str(msg["ts"])))
        bot = context.bot_user_id
        if reply is None:
            mentions_us = bool(bot) and f"<@{bot}" in text
            if not (mentions_us or event.get("channel_type") == "im"):
                return
        elif reply.text_hash == h:
            return
        if not self.store.claim(f"edit:{channel}:{msg['ts']}:{h}"):
            return
        paste = self._paste_from_message(body, msg, channel, "edit", bot, context.bot_id)
        if reply is not None:
            paste = replace(paste, reply_ts=reply.reply_ts, thread_ts=reply.thread_ts)
        elif not self.store.claim(paste.key):
            return
        self._start(paste, claim=False)

    def _paste_from_message(self, body: dict[str, Any], msg: dict[str, Any], channel: str,
                            source: str, bot_user_id: str | None, bot_id: str | None = None
                            ) -> Paste:
        return Paste(
            team=str(body.get("team_id") or msg.get("team") or ""),
            channel=channel,
            ts=str(msg.get("ts", "")),
            thread_ts=thread_of(msg),
            user=str(msg.get("user", "")),
            text=str(msg.get("text") or "")[:MAX_COMMAND_CHARS * 2],
            files=[f for f in (msg.get("files") or [])[:20] if isinstance(f, dict)],
            source=source,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
        )

    def _start(self, paste: Paste, *, claim: bool = True) -> None:
        if claim and not self.store.claim(paste.key):
            log.info("message already being answered: %s", paste.key)
            return
        if self.executor.submit(self.run_paste, paste) is None:
            self._post_safely(paste, B.busy_message())

    # ---------------------------------------------------------------------------------------
    # the job

    def run_paste(self, paste: Paste) -> None:
        """Placeholder, read, diagnose, update. Runs on the engine pool; never raises."""
        ref = secrets.token_hex(4)
        reply_ts = paste.reply_ts
        ephemeral = False
        try:
            if reply_ts is None:
                try:
                    resp = self.client.chat_postMessage(
                        channel=paste.channel, thread_ts=paste.thread_ts,
                        **B.placeholder_message().as_kwargs(),
                    )
                    reply_ts = str(resp["ts"])
                    # Remember the answer's ts at once, so an edit arriving mid-flight finds it.
                    self.store.save_reply(Reply(paste.key, paste.channel, paste.thread_ts,
                                                reply_ts, "", ""))
                except SlackApiError as exc:
                    err = exc.response.get("error") if exc.response is not None else None
                    if paste.response_url and err in ("not_in_channel", "channel_not_found"):
                        ephemeral = True  # shortcut in a channel we are not in: answer privately
                    else:
                        raise
            msg, report = self._diagnose(paste)
            if ephemeral:
                note = B.context("I'm not a member of this channel, so only you can see this."
                                 " Invite me to answer in threads: `/invite @kb`.")
                msg.blocks = B.enforce_limits([*msg.blocks, note])
                assert paste.response_url
                send_response(paste.response_url, self.settings, msg)
            else:
                assert reply_ts is not None
                if paste.source == "edit" and paste.reply_ts:
                    msg.blocks = B.enforce_limits(
                        [*msg.blocks, B.context(":pencil2: Updated after the message was edited.")]
                    )
                fp = str((report.get("input") or {}).get("fingerprint", ""))
                self.store.save_reply(Reply(paste.key, paste.channel, paste.thread_ts, reply_ts,
                                            text_hash(paste.text, paste.files), fp))
                self.client.chat_update(channel=paste.channel, ts=reply_ts, **msg.as_kwargs())
            elapsed = time.monotonic() - paste.received
            log.info("answered %s %s status=%s fingerprint=%s in %.3fs", paste.source, paste.key,
                     report.get("status"), (report.get("input") or {}).get("fingerprint"), elapsed)
            if self.on_result is not None:
                self.on_result(paste, report)
        except Exception:
            log.exception("diagnosis failed ref=%s source=%s key=%s", ref, paste.source, paste.key)
            self._apologise(paste, reply_ts, ref, ephemeral)

    def _diagnose(self, paste: Paste) -> tuple[B.Message, dict[str, Any]]:
        text = clean_slack_text(paste.text, paste.bot_user_id)
        files = paste.files
        notes: list[str] = []
        if len(text) < MIN_PASTE_CHARS and not files and paste.thread_ts != paste.ts:
            # "@kb" alone in a thread: diagnose the message that started the thread.
            # A person asked explicitly, so another bot's post (an alert) is fine; our own is not.
            parent = self._thread_parent(paste.channel, paste.thread_ts)
            if parent is not None and not is_ours(parent, paste.bot_user_id) and \
                    not (parent.get("bot_id") and parent.get("bot_id") == paste.bot_id):
                text = clean_slack_text(str(parent.get("text") or ""), paste.bot_user_id)
                files = [f for f in (parent.get("files") or [])[:20] if isinstance(f, dict)]
                notes.append("Diagnosed the message that started this thread.")
        parts = [text] if text else []
        for f in files[: self.settings.max_files]:
            if f.get("file_access") == "check_file_info" and f.get("id"):
                f = dict(self.client.files_info(file=str(f["id"]))["file"])
            try:
                fetched = self.fetcher.fetch(f)
            except FileRejected as exc:
                notes.append(f"Skipped file {exc}")
                continue
            parts.append(fetched.text)
            notes.append(f"Read file {fetched.name}"
                         + (" (only its beginning: it is larger than my limit)"
                            if fetched.truncated else ""))
        if len(files) > self.settings.max_files:
            notes.append(f"Only the first {self.settings.max_files} files were read.")
        combined = "\n\n".join(parts)
        if combined.strip().lower() in ("help", "?", "hi", "hello"):
            return B.help_message(), {"status": "no_diagnosis", "input": {"kind": "empty"}}
        if not combined.strip():
            help_msg = B.Message(
                text="Nothing to diagnose",
                blocks=[B.section(
                    "I found nothing to diagnose. Paste the traceback or log excerpt in the same"
                    " message as the mention, attach a log file, or mention me in the thread"
                    " under the paste. `/kb help` for more.", "kb_head")],
            )
            return help_msg, {"status": "no_diagnosis", "input": {"kind": "empty"}}
        combined, cap_note = cap_input(redact(combined), self.settings.max_input_bytes)
        if cap_note:
            notes.append(cap_note)
        report = report_dict(self.rules, combined, self.settings.top)  # pure, thread-safe
        related: list[tuple[str, str]] = []
        if report.get("status") != "diagnosed":
            related = self._related(report)
        return B.diagnosis_message(report, notes=notes, related=related), report

    def _related(self, report: dict[str, Any]) -> list[tuple[str, str]]:
        headline = str((report.get("input") or {}).get("headline") or "")
        words = " ".join(re.findall(r"[A-Za-z][A-Za-z0-9_.]{2,40}", headline)[:8])
        if not words or (report.get("input") or {}).get("kind") in ("java", "go", "node"):
            return []
        try:
            hits = self.rules.search(words, limit=3)
        except Exception:
            log.warning("related-runbook search failed", exc_info=True)
            return []
        return [(h.page_id, h.title) for h in hits if getattr(h, "score", 1.0) > 0]

    def _thread_parent(self, channel: str, thread_ts: str) -> dict[str, Any] | None:
        resp = self.client.conversations_replies(channel=channel, ts=thread_ts, limit=1,
                                                 inclusive=True)
        msgs = resp.get("messages") or []
        return dict(msgs[0]) if msgs and isinstance(msgs[0], dict) else None

    def _apologise(self, paste: Paste, reply_ts: str | None, ref: str, ephemeral: bool) -> None:
        msg = B.apology_message(ref)
        try:
            if ephemeral and paste.response_url:
                send_response(paste.response_url, self.settings, msg)
            elif reply_ts:
                self.client.chat_update(channel=paste.channel, ts=reply_ts, **msg.as_kwargs())
            else:
                self.client.chat_postMessage(channel=paste.channel, thread_ts=paste.thread_ts,
                                             **msg.as_kwargs())
        except Exception:
            log.exception("could not deliver the apology ref=%s key=%s", ref, paste.key)

    def _post_safely(self, paste: Paste, msg: B.Message) -> None:
        try:
            self.client.chat_postMessage(channel=paste.channel, thread_ts=paste.thread_ts,
                                         **msg.as_kwargs())
        except Exception:
            log.exception("could not post to %s", paste.key)

    # ---------------------------------------------------------------------------------------
    # message shortcut

    def on_shortcut(self, ack: Ack, body: dict[str, Any], context: Any) -> None:
        ack()
        msg = body.get("message") or {}
        channel = str((body.get("channel") or {}).get("id", ""))
        if not isinstance(msg, dict) or not channel or not msg.get("ts"):
            return
        paste = Paste(
            team=str((body.get("team") or {}).get("id", "")),
            channel=channel,
            ts=str(msg["ts"]),
            thread_ts=thread_of(msg),
            user=str((body.get("user") or {}).get("id", "")),
            text=str(msg.get("text") or "")[:MAX_COMMAND_CHARS * 2],
            files=[f for f in (msg.get("files") or [])[:20] if isinstance(f, dict)],
            source="shortcut",
            bot_user_id=context.bot_user_id,
            bot_id=context.bot_id,
            response_url=body.get("response_url"),
        )
        existing = self.store.get_reply(paste.key)
        if existing is not None or not self.store.claim(paste.key):
            self._respond_safely(paste.response_url, B.notice_message(
                "I already answered this message: see its thread."))
            return
        if self.executor.submit(self.run_paste, paste) is None:
            self._respond_safely(paste.response_url, B.busy_message())

    # ---------------------------------------------------------------------------------------
    # slash command

    def on_command(self, ack: Ack, command: dict[str, Any]) -> None:
        raw = str(command.get("text") or "")[:MAX_COMMAND_CHARS]
        stripped = raw.strip()
        verb, _, rest = stripped.partition(" ")
        if "\n" in verb:
            verb, _, more = verb.partition("\n")
            rest = more + " " + rest
        verb = verb.lower()
        rest = rest.strip()
        url = str(command.get("response_url") or "")
        if verb in ("", "help"):
            ack(**B.help_message().as_kwargs())
            return
        if verb not in ("search", "show", "diagnose"):
            # "/kb <traceback>" diagnoses, "/kb <few words>" searches.
            looks_like_paste = "\n" in stripped or len(stripped) > 200 or "Error" in stripped
            verb, rest = ("diagnose" if looks_like_paste else "search"), stripped
        if not rest:
            ack(text=f"Usage: `/kb {verb} …` (`/kb help` for more)")
            return
        if verb == "show":
            ack()
            self._show_page(rest.split()[0][:120], str(command.get("trigger_id") or ""), url)
            return
        ack()
        job = self._command_search if verb == "search" else self._command_diagnose
        if self.executor.submit(job, rest, url, command) is None:
            self._respond_safely(url, B.busy_message())

    def _command_search(self, query: str, url: str, command: dict[str, Any]) -> None:
        try:
            hits = self.rules.search(query[:MAX_SEARCH_CHARS], limit=8)
            send_response(url, self.settings, B.search_results_message(query, hits))
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("search failed ref=%s", ref)
            self._respond_safely(url, B.apology_message(ref))

    def _command_diagnose(self, text: str, url: str, command: dict[str, Any]) -> None:
        paste = Paste(team=str(command.get("team_id", "")), channel=str(command.get("channel_id")),
                      ts="", thread_ts="", user=str(command.get("user_id", "")), text=text,
                      source="command", response_url=url)
        try:
            msg, report = self._diagnose(paste)
            send_response(url, self.settings, msg)
            if self.on_result is not None:
                self.on_result(paste, report)
        except Exception:
            ref = secrets.token_hex(4)
            log.exception("command diagnosis failed ref=%s", ref)
            self._respond_safely(url, B.apology_message(ref))

    def _show_page(self, page_id: str, trigger_id: str, url: str) -> None:
        try:
            page = self.rules.page(page_id)
        except KeyError:
            msg = B.notice_message(
                f"There is no runbook called '{page_id}'. Try /kb search <words>.")
            self._respond_safely(url, msg)
            return
        try:
            self.client.views_open(trigger_id=trigger_id, view=B.runbook_view(page))
        except SlackApiError:
            log.warning("views.open failed for %s; answering in a message", page_id,
                        exc_info=True)
            view = B.runbook_view(page)
            msg = B.Message(text=str(page.get("title", page_id))[:200],
                            blocks=B.enforce_limits(view["blocks"]))
            self._respond_safely(url, msg)

    def _respond_safely(self, url: str | None, msg: B.Message) -> None:
        if not url:
            return
        try:
            send_response(url, self.settings, msg)
        except Exception:
            log.exception("could not answer via response_url")

    # ---------------------------------------------------------------------------------------
    # buttons and modals

    def on_runbook(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        page_id = str(action.get("value") or "")[:120]
        trigger_id = str(body.get("trigger_id") or "")
        try:
            page = self.rules.page(page_id)
        except KeyError:
            self._respond_safely(body.get("response_url"),
                                 B.notice_message(f"The runbook '{page_id}' no longer exists."))
            return
        view = B.runbook_view(page)
        if body.get("view"):  # clicked inside a modal (search results): stack the runbook
            self.client.views_push(trigger_id=trigger_id, view=view)
        else:
            self.client.views_open(trigger_id=trigger_id, view=view)

    def _feedback(self, body: dict[str, Any], action: dict[str, Any], verdict: str
                  ) -> Feedback | None:
        try:
            value = json.loads(str(action.get("value") or "")[: B.MAX_BUTTON_VALUE])
        except ValueError:
            log.warning("feedback button with a malformed value ignored")
            return None
        if not isinstance(value, dict) or not isinstance(value.get("d"), str):
            return None
        container = body.get("container") or {}
        msg = body.get("message") or {}
        conf = value.get("c")
        fb = Feedback(
            team_id=str((body.get("team") or {}).get("id") or (body.get("user") or {}).get(
                "team_id") or ""),
            channel=str((body.get("channel") or {}).get("id") or container.get("channel_id")
                        or ""),
            message_ts=str(container.get("message_ts") or msg.get("ts") or ""),
            user_id=str((body.get("user") or {}).get("id") or ""),
            diagnosis_id=value["d"][:256],
            fingerprint=str(value.get("f") or "")[:64],
            verdict=verdict,
            confidence=float(conf) if isinstance(conf, (int, float)) else None,
        )
        self.store.record_feedback(fb)
        log.info("feedback %s on %s fingerprint=%s", verdict, fb.diagnosis_id, fb.fingerprint)
        return fb

    def on_fixed(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        fb = self._feedback(body, action, "fixed")
        if fb is not None:
            self._respond_safely(body.get("response_url"), B.notice_message(
                f"Thanks! Recorded that {fb.diagnosis_id} fixed it."))

    def on_wrong(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        fb = self._feedback(body, action, "wrong")
        if fb is None:
            return
        meta = {"c": fb.channel, "m": fb.message_ts, "d": fb.diagnosis_id}
        self.client.views_open(trigger_id=str(body.get("trigger_id") or ""),
                               view=B.wrong_feedback_view(meta))

    def on_wrong_submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack()
        try:
            meta = json.loads(str(view.get("private_metadata") or "{}")[:3000])
            actual = (((view.get("state") or {}).get("values") or {}).get("actual") or {}).get(
                "text", {}).get("value")
        except (ValueError, AttributeError):
            log.warning("malformed feedback modal submission ignored")
            return
        if not isinstance(meta, dict) or not actual:
            return
        user = str((body.get("user") or {}).get("id") or "")
        self.store.set_actual(str(meta.get("c", "")), str(meta.get("m", "")), user,
                              str(meta.get("d", "")), redact(str(actual))[:2000])

    def on_search_open(self, ack: Ack, body: dict[str, Any]) -> None:
        ack()
        self.client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=B.search_view())

    def on_search_submit(self, ack: Ack, view: dict[str, Any]) -> None:
        try:
            query = str(view["state"]["values"]["q"]["text"]["value"] or "")[:MAX_SEARCH_CHARS]
        except (KeyError, TypeError):
            ack()
            return
        fut = self.executor.submit(self.rules.search, query, limit=8)
        try:
            if fut is None:
                raise TimeoutError
            hits = fut.result(timeout=2.0)
        except TimeoutError:
            ack(response_action="errors", errors={"q": "kb is busy; please try again."})
            return
        ack(response_action="update", view=B.search_results_view(query, hits))

    # ---------------------------------------------------------------------------------------
    # the one global error handler (listener-level failures)

    def on_error(self, error: Exception, body: dict[str, Any]) -> BoltResponse:
        ref = secrets.token_hex(4)
        kind = body.get("type") or ("slash_command" if body.get("command") else "?")
        log.error("listener failed ref=%s type=%s: %s", ref, kind, type(error).__name__,
                  exc_info=error)
        event = body.get("event") if isinstance(body.get("event"), dict) else None
        if event and event.get("channel") and (event.get("ts") or event.get("thread_ts")):
            try:
                self.client.chat_postMessage(channel=str(event["channel"]),
                                             thread_ts=thread_of(event),
                                             **B.apology_message(ref).as_kwargs())
            except Exception:
                log.exception("could not deliver the apology ref=%s", ref)
        elif body.get("response_url"):
            self._respond_safely(str(body["response_url"]), B.apology_message(ref))
        # 200: Slack must not retry (we answered) nor show its generic failure text.
        return BoltResponse(status=200, body="")
