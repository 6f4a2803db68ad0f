"""Secret redaction for anything the bot echoes back or stores.

Pasted logs routinely carry credentials. The bot redacts the input *before* the engine sees it
(so evidence, headlines and captured values are already clean) and again when rendering (defence
in depth; redaction is idempotent). Patterns are linear: no nested quantifiers, bounded repeats.
"""

from __future__ import annotations

import re

MASK = "[REDACTED]"

# PEM private keys: the whole block (or to the end of the text when the END line is missing).
_PEM = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
    re.DOTALL,
)

_SIMPLE: list[tuple[re.Pattern[str], str]] = [
    # Slack tokens (bot, user, app-level, refresh, config, legacy workspace) and webhooks.
    (re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{8,}"), MASK),
    (re.compile(r"\bxoxe\.xox[bp]-[A-Za-z0-9.-]{8,}"), MASK),
    (re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"), MASK),
    (re.compile(r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"),
     "hooks.slack.com/" + MASK),
    # AWS access key ids; secret keys are caught by the key=value rule below.
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b"), MASK),
    # GitHub, GitLab, Google, Stripe, OpenAI-style, npm, PyPI tokens.
    (re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}"), MASK),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), MASK),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), MASK),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), MASK),
    (re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"), MASK),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{20,}"), MASK),
    (re.compile(r"\bnpm_[A-Za-z0-9]{30,}"), MASK),
    (re.compile(r"\bpypi-[A-Za-z0-9_-]{30,}"), MASK),
    # JSON Web Tokens.
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), MASK),
    # Authorization headers: Bearer / Basic / Token credentials.
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1\2" + MASK),
    # user:password@ in URLs (any scheme: postgresql://, redis://, https://, amqp://...).
    (re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,30}://[^\s:/@]{0,256}:)[^\s@/]{1,256}@"),
     r"\1" + MASK + "@"),
    # key=value / key: value / "key": "value" secrets.
    (re.compile(
        r"(?i)(\b[\w.-]{0,40}(?:password|passwd|pwd|pw|secret|token|api[_-]?key|apikey|access[_-]?key"
        r"|private[_-]?key|credentials?|auth)[\w.-]{0,40}[\"']?\s{0,5}[:=]\s{0,5}[\"']?)"
        r"(?!\[REDACTED\])[^\s\"',;&}]{3,}"
    ), r"\1" + MASK),
]


def redact(text: str) -> str:
    """Return ``text`` with credentials replaced by ``[REDACTED]``."""
    if not text:
        return text
    text = _PEM.sub(MASK, text)
    for pattern, repl in _SIMPLE:
        text = pattern.sub(repl, text)
    return text
