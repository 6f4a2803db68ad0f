"""Run the pydantic reproduction scripts in ``cases/`` and (re)write their samples.

Each case runs as ``/app/app.py`` in a fresh temporary directory
(``harness.run_case``: output interleaved, machine paths neutralised).

    python3 tests/repro/pydantic/pyd_repro.py           # rewrite every sample from a live run
    python3 tests/repro/pydantic/pyd_repro.py NAME...   # only these sample files
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repo root: tests.repro

from tests.repro import harness

CASES = Path(__file__).resolve().parent / "cases"
RULES = harness.RULES / "pydantic"

# sample file name -> (case script, "page/cause", "pos" | "neg")
SAMPLES: dict[str, tuple[str, str, str]] = {}

M, V = "pydantic-v2-migration", "pydantic-validation-error"

for page, cause, pos, neg in [
    (M, "basesettings-moved", "basesettings_moved", "regex_removed"),
    (M, "v1-validator-decorator", "validator_deprecated", "dict_deprecated"),
    (M, "class-based-config", "config_class", "validator_deprecated"),
    (M, "config-key-renamed", "orm_mode_renamed", "config_class"),
    (M, "v1-model-methods", "dict_deprecated", "validator_deprecated"),
    (M, "field-regex-removed", "regex_removed", "const_removed"),
    (M, "field-const-removed", "const_removed", "regex_removed"),
    (M, "root-field-removed", "root_model", "forward_refs"),
    (M, "class-not-fully-defined", "forward_refs", "update_forward_refs"),
    (M, "from-orm-needs-from-attributes", "from_orm_legacy", "forward_refs"),
    (V, "int-parsing", "int_parsing", "string_type"),
    (V, "field-required", "field_required", "extra_forbidden"),
    (V, "extra-forbidden", "extra_forbidden", "field_required"),
    (V, "no-str-coercion", "string_type", "int_parsing"),
    (V, "model-type-from-attributes", "from_orm_without_attributes", "json_invalid"),
    (V, "json-invalid", "json_invalid", "int_parsing"),
]:
    harness.add_samples(SAMPLES, page, cause, {"": pos}, [neg])
harness.add_samples(
    SAMPLES, M, "v1-model-methods", {"update-forward-refs": "update_forward_refs"}, []
)


def run_case(script: str, timeout: float = 60) -> str:
    """Run ``cases/<script>.py`` as /app/app.py and return its neutralised output."""
    return harness.run_case(CASES, script, timeout=timeout, relative=True)


if __name__ == "__main__":
    harness.write_samples(SAMPLES, run_case, RULES, sys.argv[1:])
