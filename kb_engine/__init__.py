"""kb_engine: parse tracebacks and logs, match them against rules, rank explained diagnoses.

A pure library: no printing, no argv, no Slack. Only ``loader`` and its disk cache
(``rulecache``) touch files.

    >>> from kb_engine import load_rules
    >>> rules = load_rules()
    >>> report = rules.diagnose(text)          # doctest: +SKIP
    >>> report.to_dict()["diagnoses"][0]["id"]  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .cleanup import clean_text
from .errors import (
    InputError,
    KbError,
    Location,
    RuleError,
    RuleSetError,
    RuleSyntaxError,
    RuleValidationError,
)
from .loader import load_rules
from .masks import fingerprint, mask
from .report import SCHEMA, Diagnosis, Evidence, Failure, Report, SearchHit
from .ruleset import RuleSet

__all__ = [
    "SCHEMA",
    "Diagnosis",
    "Evidence",
    "Failure",
    "InputError",
    "KbError",
    "Location",
    "Report",
    "RuleError",
    "RuleSet",
    "RuleSetError",
    "RuleSyntaxError",
    "RuleValidationError",
    "SearchHit",
    "__version__",
    "clean_text",
    "fingerprint",
    "load_rules",
    "mask",
]
