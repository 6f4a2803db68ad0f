"""kb's Slack bot: paste a traceback, get the diagnosis in the thread.

Thin Slack layer over ``kb_engine``'s public API. Entry points:

* ``python -m bots.kb_slack`` (or the ``kb-slack`` console script) starts the bot;
* ``python -m bots.kb_slack export-feedback --format jsonl`` exports stored feedback.

See ``docs/slack.md``.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
