"""Undo what Slack, chat clients and terminals do to pasted logs.

Line count is preserved (a removed code fence becomes an empty line) so that
evidence line numbers point at the user's own input.
"""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_FENCE_LINE = re.compile(r"^\s*```[\w+-]*\s*$")
_SLACK_LINK = re.compile(r"<((?:https?|mailto|ftp)://[^|>\s]+|mailto:[^|>\s]+)(?:\|[^>]*)?>")
_SMART = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
        "\u2032": "'", "\u2033": '"',
        "\u00a0": " ", "\u2007": " ", "\u202f": " ",
        "\u200b": "", "\ufeff": "",
    }
)
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&"))


def clean_text(text: str) -> str:
    """Return ``text`` with fences, entities, smart quotes, ANSI codes and CRs undone."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "&" in text:
        for entity, char in _ENTITIES:
            if entity in text:
                text = text.replace(entity, char)
    if ("<" in text and "://" in text) or "mailto:" in text:
        text = _SLACK_LINK.sub(r"\1", text)
    text = text.translate(_SMART)
    if "```" in text:
        text = _strip_fences(text)
    return text


def _strip_fences(text: str) -> str:
    out = []
    for line in text.split("\n"):
        if "```" not in line:
            out.append(line)
        elif _FENCE_LINE.match(line):
            out.append("")
        else:
            # Slack keeps text on the fence line: ```Traceback (most ...)```
            out.append(line.replace("```", ""))
    return "\n".join(out)


_ANSI_B = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_SLACK_LINK_B = re.compile(rb"<((?:https?|mailto|ftp)://[^|>\s]+|mailto:[^|>\s]+)(?:\|[^>]*)?>")
_ENTITIES_B = tuple((a.encode(), b.encode()) for a, b in _ENTITIES)
_SMART_B = tuple((k.encode(), v.encode()) for k, v in (
    ("\u2018", "'"), ("\u2019", "'"), ("\u201a", "'"), ("\u201b", "'"), ("\u201c", '"'),
    ("\u201d", '"'), ("\u201e", '"'), ("\u201f", '"'), ("\u2032", "'"), ("\u2033", '"'),
    ("\u00a0", " "), ("\u2007", " "), ("\u202f", " "), ("\u200b", ""), ("\ufeff", ""),
))


def clean_bytes(data: bytes) -> bytes:
    """``clean_text`` for UTF-8 bytes. Each step first tests a one-byte marker (a memchr
    scan), so a plain log passes through at memory speed."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if b"\x1b" in data:
        data = _ANSI_B.sub(b"", data)
    if b"&" in data:
        for entity, char in _ENTITIES_B:
            if entity in data:
                data = data.replace(entity, char)
    if b"<" in data and (b"<http" in data or b"<ftp:" in data or b"<mailto:" in data):
        data = _SLACK_LINK_B.sub(rb"\1", data)
    if not data.isascii():
        for smart, plain in _SMART_B:
            if smart in data:
                data = data.replace(smart, plain)
    if b"`" in data and b"```" in data:
        data = _strip_fences(data.decode("utf-8", "surrogateescape")).encode(
            "utf-8", "surrogateescape")
    return data
