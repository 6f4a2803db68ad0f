"""Exceptions raised by kb_engine.

Hierarchy::

    KbError                      base of everything kb raises on purpose
    ├── RuleError                one problem in one rule file, with a Location
    │   ├── RuleSyntaxError      the YAML itself cannot be parsed
    │   └── RuleValidationError  schema or semantic problem (unknown key, bad regex, ...)
    ├── RuleSetError             loading stopped: carries every RuleError found (compiler style)
    └── InputError               input kb refuses to diagnose (binary, empty when that matters)

A rule that fails *at match time* is never raised: it becomes a warning on the Report.
"""

from __future__ import annotations

from .record import FrozenRecord

__all__ = [
    "InputError",
    "KbError",
    "Location",
    "RuleError",
    "RuleSetError",
    "RuleSyntaxError",
    "RuleValidationError",
]


class Location(FrozenRecord):
    """Where a rule problem is: ``path:line: field``."""

    path: str
    line: int | None
    field: str | None

    def __init__(self, path: str, line: int | None = None, field: str | None = None) -> None:
        self.path = path
        self.line = line
        self.field = field

    def __str__(self) -> str:
        out = self.path
        if self.line is not None:
            out += f":{self.line}"
        if self.field:
            out += f": {self.field}"
        return out


class KbError(Exception):
    """Base class for every error kb raises deliberately."""


class RuleError(KbError):
    """A problem in a rule file. ``str()`` gives ``path:line: field: message``."""

    severity = "error"

    def __init__(self, message: str, location: Location, *, severity: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.severity = severity

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class RuleSyntaxError(RuleError):
    """The YAML of a rule file cannot be parsed."""


class RuleValidationError(RuleError):
    """A rule file parses but breaks the format or a lint check."""


class RuleSetError(KbError):
    """Loading found errors; ``errors`` holds all of them, in file order."""

    def __init__(self, errors: list[RuleError]) -> None:
        self.errors = errors
        lines = "\n".join(str(e) for e in errors[:20])
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"{len(errors)} rule error(s):\n{lines}{more}")


class InputError(KbError):
    """Input kb will not diagnose, with a message meant for the user."""
