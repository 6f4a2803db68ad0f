"""Pure Block Kit builders: report dict in, ``Message`` / modal dict out. No I/O, no Slack client.

Everything user-derived is redacted, escaped for mrkdwn (``& < >``, so a paste can never ping
``<!channel>``), and neutralised inside code spans. ``enforce_limits`` is the last step of every
builder: it keeps a message under Slack's limits (50 blocks, 3,000 chars per section, 150 per
header, and a cumulative ceiling well below the ~13.2k ``msg_blocks_too_long`` cliff) and says so
visibly when it had to cut.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .redact import redact

Block = dict[str, Any]

MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_VIEW = 100
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENT = 2000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_VIEW_TITLE = 24
# Slack rejects messages whose blocks add up to roughly 13.2k characters (msg_blocks_too_long),
# below the documented per-block limits. Stay well under it.
MESSAGE_BUDGET = 11_000
VIEW_BUDGET = 12_000
MIN_TRIMMED = 160

TRUNCATED = "_(truncated for Slack)_"
FENCE = "```"

ACTION_RUNBOOK = "kb_runbook"
ACTION_FIXED = "kb_fixed"
ACTION_WRONG = "kb_wrong"
ACTION_SEARCH = "kb_search_open"
VIEW_WRONG = "kb_wrong_modal"
VIEW_SEARCH = "kb_search_modal"


@dataclass
class Message:
    """A chat message: notification ``text`` plus ``blocks``."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


# --------------------------------------------------------------------------------------------
# text helpers


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def user_text(text: str) -> str:
    """Redact and escape text that came (even partly) from the paste."""
    return escape(redact(text))


def code_text(text: str) -> str:
    """User text for inside a code block: redacted, escaped, and unable to close the fence."""
    return user_text(text).replace("```", "`\u200b`\u200b`")


def inline_code(text: str, limit: int = 200) -> str:
    body = code_text(_one_line(text, limit)).replace("`", "'")
    return f"`{body}`" if body else ""


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object (no mrkdwn), clipped to ``limit``."""
    return {"type": "plain_text", "text": _one_line(text, limit) or " ", "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def clip(text: str, limit: int, note: str = TRUNCATED) -> str:
    """Clip mrkdwn ``text`` to at most ``limit`` chars at a line boundary, keep code fences
    balanced, and append a visible ``note`` when anything was cut."""
    if len(text) <= limit:
        return text
    room = max(0, limit - len(note) - len(FENCE) - 3)
    cut = text[:room]
    nl = cut.rfind("\n")
    if nl > room // 2:
        cut = cut[:nl]
    if cut.count(FENCE) % 2 == 1:
        cut = cut.rstrip("\n") + "\n" + FENCE
    return (cut.rstrip() + "\n" + note)[:limit]


def section(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(clip(text or " ", MAX_SECTION))}
    if block_id:
        block["block_id"] = block_id[:255]
    return block


def context(*texts: str) -> Block:
    elements = [mrkdwn(clip(t, MAX_CONTEXT_ELEMENT)) for t in texts if t][:10]
    return {"type": "context", "elements": elements or [mrkdwn(" ")]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, MAX_HEADER)}


def divider() -> Block:
    return {"type": "divider"}


def button(
    label: str, action_id: str, value: str = "", style: str | None = None
) -> dict[str, Any]:
    b: dict[str, Any] = {
        "type": "button",
        "text": plain(label, MAX_BUTTON_TEXT),
        "action_id": action_id[:255],
    }
    if value:
        if len(value) > MAX_BUTTON_VALUE:
            raise ValueError("button value too long")
        b["value"] = value
    if style:
        b["style"] = style
    return b


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id[:255]
    return block


# --------------------------------------------------------------------------------------------
# limits


def _texts(obj: Any) -> Iterable[str]:
    """Every string under a ``text`` key, recursively (what Slack counts against the ceiling)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "text" and isinstance(v, str):
                yield v
            else:
                yield from _texts(v)
    elif isinstance(obj, list):
        for item in obj:
            yield from _texts(item)


def text_size(blocks: Sequence[Block]) -> int:
    return sum(len(t) for t in _texts(list(blocks)))


def enforce_limits(
    blocks: list[Block],
    *,
    max_blocks: int = MAX_BLOCKS_MESSAGE,
    budget: int = MESSAGE_BUDGET,
    note: str = "Some of this answer was cut to fit Slack's message limits.",
) -> list[Block]:
    """Return ``blocks`` trimmed to Slack's limits, with a visible note if anything was cut.

    Order of cuts: the longest section texts shrink first (down to ``MIN_TRIMMED`` chars each,
    code fences kept balanced); then whole blocks are dropped from the end. A trailing context
    note always says that something was cut.
    """
    out = [json.loads(json.dumps(b)) for b in blocks]  # never mutate the caller's blocks
    cut = False
    for b in out:
        if b.get("type") == "section" and isinstance(b.get("text"), dict):
            t = b["text"]["text"]
            if len(t) > MAX_SECTION:
                b["text"]["text"] = clip(t, MAX_SECTION)
                cut = True
    note_block = context(f":scissors: {note}")
    reserve = text_size([note_block])
    # Shrink the longest sections until the total fits.
    for _ in range(10 * len(out) + 10):
        excess = text_size(out) - (budget - reserve)
        if excess <= 0:
            break
        candidates = [
            b for b in out
            if b.get("type") == "section" and isinstance(b.get("text"), dict)
            and len(b["text"]["text"]) > MIN_TRIMMED
        ]
        if not candidates:
            break
        big = max(candidates, key=lambda b: len(b["text"]["text"]))
        current = big["text"]["text"]
        target = max(MIN_TRIMMED, len(current) - excess - 1)
        # Shrink by at least a quarter so the loop converges quickly.
        target = min(target, max(MIN_TRIMMED, len(current) * 3 // 4))
        big["text"]["text"] = clip(current, target)
        cut = True
    # Still too big, or too many blocks: drop blocks from the end (room kept for the note).
    while out and (
        len(out) > (max_blocks - 1 if cut else max_blocks) or text_size(out) > budget - reserve
    ):
        out.pop()
        cut = True
    if cut:
        out.append(note_block)
    return out


# --------------------------------------------------------------------------------------------
# diagnosis messages


def _pct(conf: Any) -> str:
    try:
        return f"{round(float(conf) * 100)}%"
    except (TypeError, ValueError):
        return "?"


def _steps(steps: Any, limit: int) -> str:
    lines: list[str] = []
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, str):
            step = {"text": step}
        if not isinstance(step, dict):
            continue
        line = f"• {user_text(str(step.get('text', '')))}"
        cmd = step.get("command")
        if cmd:
            line += f"\n{FENCE}{code_text(str(cmd))}{FENCE}"
        expect = step.get("expect")
        if expect:
            line += f"\n    _expect:_ {user_text(str(expect))}"
        lines.append(line)
    return clip("\n".join(lines) or "_(none given)_", limit)


def _evidence(evidence: Any, limit: int) -> str:
    rows: list[str] = []
    for ev in evidence if isinstance(evidence, list) else []:
        if not isinstance(ev, dict):
            continue
        line = ev.get("line")
        text = str(ev.get("text", ""))[:500]
        prefix = f"L{line}: " if isinstance(line, int) else ""
        count = ev.get("count")
        suffix = f"  (x{count})" if isinstance(count, int) and count > 1 else ""
        rows.append(prefix + code_text(_one_line(text, 400)) + suffix)
    if not rows:
        return "_(no evidence lines)_"
    body = FENCE + "\n".join(rows) + FENCE
    return clip(body, limit)


def feedback_value(diag: dict[str, Any], fingerprint: str) -> str:
    value = json.dumps(
        {"d": str(diag.get("id", ""))[:200], "f": fingerprint[:32],
         "p": str(diag.get("page", ""))[:120], "c": diag.get("confidence")},
        separators=(",", ":"),
    )
    return value[:MAX_BUTTON_VALUE]


def _diagnosis_blocks(diag: dict[str, Any], fingerprint: str, n: int) -> list[Block]:
    title = user_text(str(diag.get("title", "?")))
    did = str(diag.get("id", "?"))
    page = str(diag.get("page", did.split("/")[0]))
    head = (
        f"*{n}. {title}*\n`{escape(did)}` · confidence *{_pct(diag.get('confidence'))}*"
        f" · runbook: {user_text(str(diag.get('page_title', page)))}"
    )
    expl = str(diag.get("explanation", "")).strip()
    blocks: list[Block] = [
        section(clip(head + ("\n" + user_text(expl) if expl else ""), 900), f"kb_d{n}"),
        section("*Evidence*\n" + _evidence(diag.get("evidence"), 1400), f"kb_e{n}"),
        section("*Fix*\n" + _steps(diag.get("fix"), 1200), f"kb_f{n}"),
        section("*Verify*\n" + _steps(diag.get("verify"), 800), f"kb_v{n}"),
    ]
    notes: list[str] = []
    appl = diag.get("applicability")
    if isinstance(appl, dict) and appl.get("applies") is False:
        notes.append(":warning: " + user_text(str(appl.get("note") or "version outside range")))
    if diag.get("ranking"):
        notes.append(user_text(str(diag["ranking"])))
    if notes:
        blocks.append(context(*notes))
    value = feedback_value(diag, fingerprint)
    blocks.append(
        actions(
            button("Full runbook", f"{ACTION_RUNBOOK}_{n}", page[:120]),
            button("This fixed it", f"{ACTION_FIXED}_{n}", value, "primary"),
            button("Wrong diagnosis", f"{ACTION_WRONG}_{n}", value, "danger"),
            block_id=f"kb_a{n}",
        )
    )
    return blocks


def _input_context(inp: dict[str, Any], notes: Sequence[str]) -> Block:
    parts = [
        f"input: {escape(str(inp.get('kind', '?')))}, {inp.get('lines', '?')} lines",
        f"fingerprint `{escape(str(inp.get('fingerprint', '?')))}`",
    ]
    versions = inp.get("versions")
    if isinstance(versions, dict) and versions:
        vs = ", ".join(f"{k} {v}" for k, v in list(versions.items())[:6])
        parts.append(user_text(_one_line(vs, 200)))
    texts = [" · ".join(parts)]
    texts.extend(user_text(n) for n in notes if n)
    return context(*texts[:10])


def diagnosis_message(
    report: dict[str, Any],
    *,
    notes: Sequence[str] = (),
    related: Sequence[tuple[str, str]] = (),
    max_diagnoses: int = 5,
) -> Message:
    """Render a ``kb.report/1`` dict. ``notes`` are extra visible remarks (input truncated,
    file skipped...). ``related`` are (page_id, title) search suggestions for no-diagnosis."""
    inp = report.get("input") if isinstance(report.get("input"), dict) else {}
    assert isinstance(inp, dict)
    fingerprint = str(inp.get("fingerprint", ""))
    diags = [d for d in report.get("diagnoses") or [] if isinstance(d, dict)]
    warnings = [str(w) for w in report.get("warnings") or []][:3]
    all_notes = [*notes, *warnings]
    if report.get("status") != "diagnosed" or not diags:
        return no_diagnosis_message(report, notes=all_notes, related=related)

    best = diags[0]
    blocks: list[Block] = [
        section(
            f":mag: *Most likely:* {user_text(str(best.get('title', '?')))}"
            f" (*{_pct(best.get('confidence'))}*)"
            + (f"\n{inline_code(str(inp['headline']), 280)}" if inp.get("headline") else ""),
            "kb_head",
        ),
        _input_context(inp, all_notes),
    ]
    for n, diag in enumerate(diags[:max_diagnoses], start=1):
        blocks.append(divider())
        blocks.extend(_diagnosis_blocks(diag, fingerprint, n))
    if len(diags) > max_diagnoses:
        more = len(diags) - max_diagnoses
        blocks.append(context(
            f"{more} more diagnos{'is' if more == 1 else 'es'} (other failures in this paste)"
            " not shown; `kb diagnose` on the full text lists them all."))
    blocks.append(context(
        "Was this right? The buttons record feedback for the rule authors."
        " `/kb help` for more."
    ))
    text = f"Diagnosis: {_one_line(redact(str(best.get('title', '?'))), 200)}" \
           f" ({_pct(best.get('confidence'))})"
    return Message(text=text, blocks=enforce_limits(blocks))


def no_diagnosis_message(
    report: dict[str, Any],
    *,
    notes: Sequence[str] = (),
    related: Sequence[tuple[str, str]] = (),
) -> Message:
    inp = report.get("input") if isinstance(report.get("input"), dict) else {}
    assert isinstance(inp, dict)
    kind = str(inp.get("kind", ""))
    if kind == "empty":
        why = "I found no text to diagnose in that message."
    elif kind in ("java", "go", "node"):
        why = (f"This looks like a {escape(kind)} error; kb's runbooks cover Python services,"
               " so I have no diagnosis for it.")
    else:
        why = "No runbook cause matched this paste, so I have no diagnosis for it."
    blocks: list[Block] = [section(f":shrug: *No diagnosis.* {why}", "kb_head")]
    if inp.get("headline"):
        blocks.append(section("Main error I saw:\n" + inline_code(str(inp["headline"]), 400)))
    if inp:
        blocks.append(_input_context(inp, notes))
    elif notes:
        blocks.append(context(*(user_text(n) for n in notes)))
    if related:
        lines = [f"• {user_text(title)} (`{escape(pid)}`)" for pid, title in related[:5]]
        blocks.append(section("*Runbooks that might be related:*\n" + "\n".join(lines)))
        blocks.append(actions(*(
            button(f"Open {pid}"[:MAX_BUTTON_TEXT], f"{ACTION_RUNBOOK}_r{i}", pid[:120])
            for i, (pid, _t) in enumerate(related[:5], start=1)
        )))
    blocks.append(section(
        "You can search the runbooks by symptom: `/kb search <words>`, or:",
        "kb_search_offer",
    ))
    blocks.append(actions(button("Search runbooks", ACTION_SEARCH, "search")))
    return Message(text="No diagnosis for this paste", blocks=enforce_limits(blocks))


def placeholder_message() -> Message:
    return Message(
        text="Analysing your paste…",
        blocks=[section(":hourglass_flowing_sand: Analysing this paste with kb…", "kb_head")],
    )


def busy_message() -> Message:
    return Message(
        text="kb is busy, please try again in a minute",
        blocks=[section(
            ":construction: I'm busy with other diagnoses right now. "
            "Please mention me again in a minute.", "kb_head")],
    )


def apology_message(ref: str) -> Message:
    return Message(
        text="Sorry, something went wrong while diagnosing this",
        blocks=[section(
            ":warning: Sorry, something went wrong on my side while handling this."
            f" The details are in the bot's log under reference `{escape(ref)}`.",
            "kb_head",
        )],
    )


def notice_message(text: str) -> Message:
    """A short plain notice (already-trusted text, still escaped)."""
    return Message(text=_one_line(text, 200), blocks=[section(escape(text))])


def help_message() -> Message:
    body = (
        "*kb diagnoses Python tracebacks and logs against the on-call runbooks.*\n"
        "• Mention me (`@kb`) in a message with a traceback, log excerpt or attached log file,"
        " or DM me the paste: I answer in the thread.\n"
        "• Mention me in the thread under someone's paste, or use the message shortcut"
        " *Diagnose with kb* on it.\n"
        "• `/kb diagnose <text>`: diagnose text privately.\n"
        "• `/kb search <words>`: find runbooks by symptom or library.\n"
        "• `/kb show <page-id>`: open a runbook.\n"
        "• `/kb help`: this message.\n"
        "Pasted secrets (tokens, passwords in URLs, keys) are redacted in everything I echo."
    )
    return Message(text="kb help", blocks=[section(body, "kb_help")])


def search_results_message(query: str, hits: Sequence[Any]) -> Message:
    q = user_text(_one_line(query, 200))
    if not hits:
        blocks = [section(f"No runbook matched *{q}*. Try other words, or `/kb help`.")]
        return Message(text="No runbook matched", blocks=blocks)
    blocks = [section(f":books: Runbooks matching *{q}*:", "kb_head")]
    for i, hit in enumerate(hits[:10], start=1):
        pid = str(getattr(hit, "page_id", ""))
        snippet = str(getattr(hit, "snippet", "") or "")
        text = f"*{user_text(str(getattr(hit, 'title', pid)))}* (`{escape(pid)}`)"
        if snippet:
            text += "\n" + user_text(_one_line(snippet, 300))
        blk = section(text, f"kb_hit{i}")
        blk["accessory"] = button("Open runbook", f"{ACTION_RUNBOOK}_s{i}", pid[:120])
        blocks.append(blk)
    return Message(text=f"{len(hits)} runbooks matched", blocks=enforce_limits(blocks))


# --------------------------------------------------------------------------------------------
# modals


def _view(title: str, blocks: list[Block], **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": plain(title, MAX_VIEW_TITLE),
        "close": plain("Close", MAX_VIEW_TITLE),
        "blocks": blocks,
    }
    view.update(extra)
    return view


def runbook_view(page: dict[str, Any]) -> dict[str, Any]:
    """The whole runbook page as a modal (100 blocks, trimmed with a visible note)."""
    pid = str(page.get("id", "?"))
    blocks: list[Block] = [header(str(page.get("title", pid)))]
    blocks.append(context(f"`{escape(pid)}` · status {escape(str(page.get('status', 'stable')))}"))
    if page.get("summary"):
        blocks.append(section(user_text(str(page["summary"]))))
    if page.get("triage"):
        blocks.append(section("*Triage*\n" + _steps(page["triage"], 1500)))
    places = page.get("where_to_look") or []
    if places:
        rows = [
            f"• *{user_text(str(p.get('place', '')))}*"
            + (f": {user_text(str(p.get('why')))}" if p.get("why") else "")
            for p in places if isinstance(p, dict)
        ]
        blocks.append(section("*Where to look*\n" + "\n".join(rows)))
    for cause in page.get("causes") or []:
        if not isinstance(cause, dict):
            continue
        blocks.append(divider())
        blocks.append(section(
            f"*Cause: {user_text(str(cause.get('title', '')))}*"
            f" (`{escape(str(cause.get('id')))}`)\n"
            + user_text(str(cause.get("explanation", "")))
        ))
        blocks.append(section("*Fix*\n" + _steps(cause.get("fix"), 1200)))
        blocks.append(section("*Verify*\n" + _steps(cause.get("verify"), 800)))
    pitfalls = page.get("pitfalls") or []
    if pitfalls:
        blocks.append(divider())
        rows = [f"• {user_text(str(p))}" for p in pitfalls]
        blocks.append(section("*Pitfalls*\n" + "\n".join(rows)))
    refs = page.get("references") or []
    if refs:
        rows = []
        for r in refs[:15]:
            if not isinstance(r, dict):
                continue
            title = user_text(_one_line(str(r.get("title", "")), 150))
            url = str(r.get("url") or "")
            if url.startswith(("https://", "http://")) and "|" not in url and ">" not in url:
                rows.append(f"• <{url}|{title}>")
            else:
                rows.append(f"• {title}")
        blocks.append(section("*References*\n" + "\n".join(rows)))
    fitted = enforce_limits(
        blocks, max_blocks=MAX_BLOCKS_VIEW, budget=VIEW_BUDGET,
        note=f"Runbook shortened for Slack; `kb show {escape(pid)}` prints all of it.",
    )
    return _view("Runbook", fitted)


def wrong_feedback_view(metadata: dict[str, Any]) -> dict[str, Any]:
    meta = json.dumps(metadata, separators=(",", ":"))
    if len(meta) > 3000:
        raise ValueError("private_metadata too long")
    blocks: list[Block] = [
        section("Thanks, I recorded this diagnosis as wrong. If you know what it really was,"
                " tell the rule authors (optional):"),
        {
            "type": "input",
            "block_id": "actual",
            "optional": True,
            "label": plain("What was it?", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": "text",
                "multiline": True,
                "max_length": 1000,
            },
        },
    ]
    return _view("Wrong diagnosis", blocks, callback_id=VIEW_WRONG,
                 submit=plain("Send", MAX_VIEW_TITLE), private_metadata=meta)


def search_view() -> dict[str, Any]:
    blocks: list[Block] = [{
        "type": "input",
        "block_id": "q",
        "label": plain("Search the runbooks", 2000),
        "element": {"type": "plain_text_input", "action_id": "text", "max_length": 200},
    }]
    return _view("Search runbooks", blocks, callback_id=VIEW_SEARCH,
                 submit=plain("Search", MAX_VIEW_TITLE))


def search_results_view(query: str, hits: Sequence[Any]) -> dict[str, Any]:
    msg = search_results_message(query, hits)
    return _view("Search results", enforce_limits(
        msg.blocks, max_blocks=MAX_BLOCKS_VIEW, budget=VIEW_BUDGET))
