"""``{placeholder}`` filling in cause texts from regex captures."""

from __future__ import annotations

import re
from typing import Any

# ``%{x}`` (curl -w) and ``${x}`` (shell) are literal text, not placeholders.
PLACEHOLDER = re.compile(r"(?<![%$\{])\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")


_ESCAPED = re.compile(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}")


def fill(template: str, captures: dict[str, str]) -> str:
    """Replace ``{name}`` with its capture (``?`` when not captured); ``{{x}}`` is the
    literal text ``{x}``, for prose such as ``/users/{{user_id}}``."""
    # A value the log did not show prints as "?", never as a raw {placeholder}.
    out = PLACEHOLDER.sub(lambda m: captures.get(m.group(1), "?"), template)
    if "{{" in out:
        out = _ESCAPED.sub(r"{\1}", out)  # Go templates ({{.State}}) stay as written
    return out


def fill_steps(steps: list[dict[str, Any]], captures: dict[str, str]) -> list[dict[str, Any]]:
    return [{k: fill(v, captures) if isinstance(v, str) else v for k, v in s.items()}
            for s in steps]


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))
