"""The rule format: one YAML file is one runbook page, validated by these models.

A page holds the runbook sections (meaning, triage, where to look, pitfalls,
incidents, background, FAQ, references) and a list of causes. Diagnosis ranks
causes; runbook lookup is per page. ``docs/rule-format.md`` documents every
field with a complete annotated example; ``rules/schema.json`` is generated
from these models (``kb schema``) so editors validate YAML as people type.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"


class _Strict(BaseModel):
    """Unknown keys are errors: a typo in a rule must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


Weight = Annotated[float, Field(gt=0.0, le=1.0)]


class RegexSignature(_Strict):
    """A regular expression tried on each line (RE2 syntax: no backreferences or lookaround).

    Named groups become captures that fill ``{placeholders}`` in the cause's texts.
    """

    kind: Literal["regex"]
    pattern: str = Field(min_length=1)
    ignore_case: bool = False
    weight: Weight = 0.6
    note: str | None = None


class ExceptionSignature(_Strict):
    """An exception found in a parsed traceback (chained exceptions included) or on
    a standalone ``module.Type: message`` line.

    ``type`` matches the exception's qualified name or any dotted suffix of it:
    ``TimeoutError`` matches ``sqlalchemy.exc.TimeoutError``.
    """

    kind: Literal["exception"]
    type: str = Field(min_length=1, pattern=r"^[A-Za-z_][\w.]*$")
    message: str | None = None
    ignore_case: bool = False
    where: Literal["any", "last"] = "any"
    weight: Weight = 0.5
    note: str | None = None


class FrameSignature(_Strict):
    """A predicate on traceback frames; every given pattern must match the same frame."""

    kind: Literal["frame"]
    module: str | None = None
    file: str | None = None
    function: str | None = None
    where: Literal["any", "innermost"] = "any"
    weight: Weight = 0.3
    note: str | None = None

    @model_validator(mode="after")
    def _needs_a_pattern(self) -> FrameSignature:
        if not (self.module or self.file or self.function):
            raise ValueError("a frame signature needs at least one of module, file, function")
        return self


class LinesSignature(_Strict):
    """Line patterns that must all appear within ``window`` lines (in order if ``ordered``)."""

    kind: Literal["lines"]
    patterns: list[str] = Field(min_length=2)
    ordered: bool = True
    window: int = Field(default=50, ge=1, le=100_000)
    ignore_case: bool = False
    weight: Weight = 0.7
    note: str | None = None


Signature = Annotated[
    RegexSignature | ExceptionSignature | FrameSignature | LinesSignature,
    Field(discriminator="kind"),
]


class Applicability(_Strict):
    """Version ranges (PEP 440 specifiers) a cause or page applies to."""

    packages: dict[str, str] = Field(default_factory=dict)
    python: str | None = None


class Step(_Strict):
    """A triage, fix or verification step. A plain string in YAML is shorthand for ``text``."""

    text: str = Field(min_length=1)
    command: str | None = None
    expect: str | None = None


def _steps_from_strings(value: Any) -> Any:
    if isinstance(value, list):
        return [{"text": v} if isinstance(v, str) else v for v in value]
    return value


class Place(_Strict):
    """Where to look: a file, log, config or dashboard, and why."""

    place: str = Field(min_length=1)
    why: str | None = None


class TimelineEntry(_Strict):
    at: str
    event: str


class Incident(_Strict):
    title: str
    summary: str | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)
    root_cause: str
    fix: str
    lesson: str


class FaqEntry(_Strict):
    q: str = Field(min_length=1)
    a: str = Field(min_length=1)


class Reference(_Strict):
    title: str
    url: str | None = None


class Cause(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    explanation: str = Field(min_length=1)
    symptoms: list[str] = Field(default_factory=list)
    signatures: list[Signature] = Field(min_length=1)
    rule_out: list[Signature] = Field(default_factory=list)
    applies_to: Applicability | None = None
    fix: list[Step] = Field(min_length=1)
    verify: list[Step] = Field(min_length=1)

    _steps = field_validator("fix", "verify", mode="before")(_steps_from_strings)


class Page(_Strict):
    format: Literal[1] = 1
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    runtime: Literal["python", "any"] = "python"
    status: Literal["stable", "experimental", "deprecated"] = "stable"
    tags: list[str] = Field(default_factory=list)
    applies_to: Applicability | None = None
    triage: list[Step] = Field(default_factory=list)
    where_to_look: list[Place] = Field(default_factory=list)
    causes: list[Cause] = Field(min_length=1)
    pitfalls: list[str] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    background: str | None = None
    faq: list[FaqEntry] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    sample_sources: dict[str, str] = Field(default_factory=dict)

    _steps = field_validator("triage", mode="before")(_steps_from_strings)

    @model_validator(mode="after")
    def _unique_cause_ids(self) -> Page:
        seen: set[str] = set()
        for cause in self.causes:
            if cause.id in seen:
                raise ValueError(f"duplicate cause id {cause.id!r}")
            seen.add(cause.id)
        return self
