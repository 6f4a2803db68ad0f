"""The public surface: a tested __all__ and the exception hierarchy."""

from __future__ import annotations

import kb_engine
from kb_engine import errors

EXPECTED = {
    "SCHEMA", "Diagnosis", "Evidence", "Failure", "InputError", "KbError", "Location", "Report",
    "RuleError", "RuleSet", "RuleSetError", "RuleSyntaxError", "RuleValidationError",
    "SearchHit", "__version__", "clean_text", "fingerprint", "load_rules", "mask",
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(kb_engine.__all__) == EXPECTED
    for name in kb_engine.__all__:
        assert hasattr(kb_engine, name), name


def test_exception_hierarchy_matches_the_docstring() -> None:
    assert issubclass(errors.RuleError, errors.KbError)
    assert issubclass(errors.RuleSyntaxError, errors.RuleError)
    assert issubclass(errors.RuleValidationError, errors.RuleError)
    assert issubclass(errors.RuleSetError, errors.KbError)
    assert issubclass(errors.InputError, errors.KbError)
    for name in errors.__all__:
        if name != "Location":
            assert name in (errors.__doc__ or ""), name
    err = errors.RuleValidationError("bad", errors.Location("rules/x.yaml", 14, "signatures[1]"))
    assert str(err) == "rules/x.yaml:14: signatures[1]: bad"
