"""The documented example must be a valid rule: the docs cannot drift from the models."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from kb_engine.model import Page

DOC = Path(__file__).resolve().parents[2] / "docs" / "rule-format.md"


def test_annotated_example_in_the_format_doc_validates() -> None:
    block = re.search(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None
    page = Page.model_validate(yaml.safe_load(block.group(1)))
    kinds = {s.kind for c in page.causes for s in c.signatures}
    assert kinds == {"regex", "exception", "frame", "lines"}
    assert page.incidents and page.faq and page.triage and page.where_to_look
