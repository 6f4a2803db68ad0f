"""The markers the matcher itself looks for, beside the rules' signatures: traceback
headers, bare syntax errors, version sources, error lines, case partners and foreign
stacks. Each is a built-in probe with a negative id (signature probes count from 0), found
by the same prefilter pass as the signatures (kb_engine.compiled adds them to its table).
"""

from __future__ import annotations

from . import foreign
from .errorline import ERROR_WORDS
from .partners import KELVIN, LONG_S
from .versions import FREEZE_CUE

# Built-in probe ids (negative numbers never collide with signature probes).
PROBE_TB_HEADER = -1
PROBE_SYNTAX = -2
PROBE_VERSION = -3
PROBE_ERROR_LINE = -4
PROBE_PARTNER = -5  # KELVIN SIGN or LONG S: see kb_engine.partners
# Site-packages paths and "Python 3.X.Y" banners name Python's version and nothing else
# (kb_engine.versionlines). Only the first line that does counts, so where Hyperscan runs
# only each scan's first line holding one of these is found.
PROBE_PYTHON_VERSION = -6
PYTHON_LITERALS = ("-packages/", "ython 3.", "ython/3.")
BUILTIN_FOREIGN = {kind: -10 - i for i, kind in enumerate(sorted(foreign.LITERALS))}
SYNTAX_NAMES = ("SyntaxError", "IndentationError", "TabError")
VERSION_LITERALS = ("==", "Successfully installed", ".dist-info")
# Where Hyperscan runs, these are scanned apart (kb_engine.errorline), not as this probe.
ERROR_LITERALS = ERROR_WORDS
# Built-in probes narrower than their literal where Hyperscan runs (Hyperscan syntax): "=="
# only before what may be a version running to the line's end (kb_engine.versions.
# FREEZE_CUE), so "== == ==" noise or "status==200&page=3" is no version candidate. A
# superset is enough everywhere (the matcher reads versions itself); other backends use
# the literal.
BUILTIN_REGEXES = {("==", PROBE_VERSION): FREEZE_CUE}
# Built-in probes whose Hyperscan patterns report their first match of each scan only (a
# crash loop's every frame line is a site-packages path: 97 % of its matches).
FIRST_ONLY = frozenset({PROBE_PYTHON_VERSION})


def builtin_literals() -> list[tuple[str, int]]:
    """(literal, probe id) of the markers the matcher itself looks for."""
    pairs = [("Traceback (most recent call last):", PROBE_TB_HEADER)]
    pairs += [(name + ":", PROBE_SYNTAX) for name in SYNTAX_NAMES]
    pairs += [(lit, PROBE_VERSION) for lit in VERSION_LITERALS]
    pairs += [(lit, PROBE_PYTHON_VERSION) for lit in PYTHON_LITERALS]
    pairs += [(lit, PROBE_ERROR_LINE) for lit in ERROR_LITERALS]
    pairs += [(KELVIN, PROBE_PARTNER), (LONG_S, PROBE_PARTNER)]
    for kind, lits in foreign.LITERALS.items():
        pairs += [(lit, BUILTIN_FOREIGN[kind]) for lit in lits]
    return pairs


__all__ = [
    "BUILTIN_FOREIGN", "BUILTIN_REGEXES", "ERROR_LITERALS", "FIRST_ONLY", "PROBE_ERROR_LINE",
    "PROBE_PARTNER", "PROBE_PYTHON_VERSION", "PROBE_SYNTAX", "PROBE_TB_HEADER", "PROBE_VERSION",
    "PYTHON_LITERALS", "SYNTAX_NAMES", "VERSION_LITERALS",
    "builtin_literals",
]
