"""Text and Markdown renderings of reports and runbook pages (pure string builders)."""

from __future__ import annotations

import textwrap
from typing import Any

from kb_engine import Report


class Style:
    """ANSI styling, switched off unless writing to a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def good(self, text: str) -> str:
        return self._wrap("32", text)

    def warn(self, text: str) -> str:
        return self._wrap("33", text)


def _wrap(text: str, indent: str, width: int = 96) -> str:
    return textwrap.fill(" ".join(text.split()), width=width, initial_indent=indent,
                         subsequent_indent=indent)


def _steps(steps: list[dict[str, Any]], indent: str, style: Style) -> list[str]:
    out = []
    for i, step in enumerate(steps, 1):
        out.append(_wrap(step["text"], indent + "   ").replace(indent + "   ", f"{indent}{i}. ", 1))
        if step.get("command"):
            out.append(f"{indent}   {style.dim('$')} {step['command']}")
        if step.get("expect"):
            out.append(f"{indent}   {style.dim('expect:')} {step['expect']}")
    return out


def report_text(report: Report, style: Style, explain: bool = False) -> str:
    data = report.to_dict(explain=explain)
    inp = data["input"]
    lines: list[str] = []
    head = inp["headline"] or "(no error line found)"
    if not data["diagnoses"]:
        lines.append(style.bold("kb: no known diagnosis") + f" for: {head}")
        lines.append(f"    fingerprint {inp['fingerprint']} · {inp['lines']} lines · "
                     f"input kind {inp['kind']}")
        lines.append("    Try: kb search <words from the error>")
    else:
        n = len(data["diagnoses"])
        lines.append(style.bold(f"kb: {n} diagnos{'is' if n == 1 else 'es'}") + f" for: {head}")
        lines.append(style.dim(f"    fingerprint {inp['fingerprint']} · {inp['lines']} lines"
                               + (f" · versions {_versions(inp['versions'])}"
                                  if inp["versions"] else "")))
        failures = {f["id"]: f for f in data["failures"]}
        if len(failures) > 1:
            lines.append(f"    {len(failures)} independent failures:")
            for f in failures.values():
                lines.append(f"      [{f['id']}] line {f['first_line']}: {f['headline'][:90]}")
    for d in data["diagnoses"]:
        lines.append("")
        pct = f"{round(d['confidence'] * 100)}%"
        tag = f" [failure {d['failure']}]" if len(data["failures"]) > 1 and d["failure"] else ""
        lines.append(f"#{d['rank']}  {style.bold(d['title'])}  {style.good(pct)}{tag}")
        lines.append(style.dim(f"    {d['id']} · {d['page_title']}"))
        lines.append(_wrap(d["explanation"], "    "))
        if not d["applicability"]["applies"]:
            lines.append(style.warn(f"    ranked lower: {d['applicability']['note']}"))
        lines.append("    Evidence:")
        for e in d["evidence"]:
            count = f" (x{e['count']})" if e["count"] > 1 else ""
            lines.append(f"      L{e['line']:<5} {e['text'].strip()[:110]}")
            lines.append(style.dim(f"             {e['signature'][:90]}{count}"))
        lines.append("    Fix:")
        lines += _steps(d["fix"], "      ", style)
        lines.append("    Verify:")
        lines += _steps(d["verify"], "      ", style)
        if d.get("ranking"):
            lines.append(style.dim(_wrap("Why first: " + d["ranking"], "    ")))
        if explain:
            lines.append("    Signatures:")
            lines += _checks(d["checks"], style)
        lines.append(style.dim(f"    Runbook: kb show {d['page']}"))
    if explain and data.get("near_misses"):
        lines.append("")
        lines.append(style.bold("Below the threshold or ruled out:"))
        for d in data["near_misses"]:
            lines.append(f"  {d['id']}  {round(d['confidence'] * 100)}%")
            lines += _checks(d["checks"], style)
    for w in data["warnings"]:
        lines.append(style.warn(f"warning: {w}"))
    return "\n".join(lines) + "\n"


def _checks(checks: list[dict[str, Any]], style: Style) -> list[str]:
    out = []
    for c in checks:
        mark = ("RULED OUT" if c["matched"] else "not present") if c["rule_out"] else (
            "hit " if c["matched"] else "miss")
        where = f" L{c['line']}" if c["line"] else ""
        out.append(f"      {mark:<11} w={c['weight']:.2f} {c['signature'][:80]}{where}")
    return out


def _versions(v: dict[str, str]) -> str:
    return ", ".join(f"{k} {val}" for k, val in list(v.items())[:6])


def report_markdown(report: Report) -> str:
    data = report.to_dict()
    inp = data["input"]
    out: list[str] = []
    if not data["diagnoses"]:
        out.append(f"**No known diagnosis** for `{inp['headline'] or 'this input'}`.")
        out.append("")
        out.append("Try `kb search <words from the error>`.")
        return "\n".join(out) + "\n"
    out.append(f"### kb: {len(data['diagnoses'])} diagnosis(es) for `{inp['headline']}`")
    out.append("")
    for d in data["diagnoses"]:
        out.append(f"#### {d['rank']}. {d['title']} ({round(d['confidence'] * 100)}%)")
        out.append(f"`{d['id']}` · {d['page_title']}")
        out.append("")
        out.append(" ".join(d["explanation"].split()))
        if not d["applicability"]["applies"]:
            out.append(f"> ranked lower: {d['applicability']['note']}")
        out.append("")
        out.append("**Evidence**")
        out.append("")
        out.append("```")
        out += [f"L{e['line']}: {e['text'].strip()[:200]}" for e in d["evidence"]]
        out.append("```")
        out.append("")
        for title, key in (("Fix", "fix"), ("Verify", "verify")):
            out.append(f"**{title}**")
            out.append("")
            for i, s in enumerate(d[key], 1):
                out.append(f"{i}. {' '.join(s['text'].split())}")
                if s.get("command"):
                    out.append(f"   `{s['command']}`")
            out.append("")
        if d.get("ranking"):
            out.append(f"_Why first: {d['ranking']}_")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def page_text(page: dict[str, Any], style: Style, markdown: bool = False) -> str:
    def h1(t: str) -> str:
        return f"# {t}" if markdown else style.bold(t.upper())

    def h2(t: str) -> str:
        return f"\n## {t}" if markdown else "\n" + style.bold(t)

    ind = "" if markdown else "  "
    out = [h1(page["title"]), f"{ind}id: {page['id']} · tags: {', '.join(page.get('tags', []))}"]
    out.append(h2("What it usually means"))
    out.append(_wrap(page["summary"], ind))
    if page.get("triage"):
        out.append(h2("First ten minutes"))
        out += _steps(page["triage"], ind, style)
    if page.get("where_to_look"):
        out.append(h2("Where to look"))
        for p in page["where_to_look"]:
            out.append(_wrap(f"- {p['place']}" + (f": {p['why']}" if p.get("why") else ""), ind))
    out.append(h2("Causes"))
    for i, c in enumerate(page["causes"], 1):
        out.append(f"{ind}{i}. {style.bold(c['title'])}  ({page['id']}/{c['id']})")
        out.append(_wrap(c["explanation"], ind + "   "))
        out.append(f"{ind}   Fix:")
        out += _steps(c["fix"], ind + "     ", style)
        out.append(f"{ind}   Verify:")
        out += _steps(c["verify"], ind + "     ", style)
    if page.get("pitfalls"):
        out.append(h2("Things that make it worse"))
        out += [_wrap(f"- {p}", ind) for p in page["pitfalls"]]
    for inc in page.get("incidents", []):
        out.append(h2(f"Incident: {inc['title']}"))
        for t in inc.get("timeline", []):
            out.append(_wrap(f"- {t['at']} {t['event']}", ind))
        for label in ("root_cause", "fix", "lesson"):
            out.append(_wrap(f"{label.replace('_', ' ').capitalize()}: {inc[label]}", ind))
    if page.get("background"):
        out.append(h2("Background"))
        out.append(_wrap(page["background"], ind))
    if page.get("faq"):
        out.append(h2("FAQ"))
        for f in page["faq"]:
            out.append(_wrap(f"Q: {f['q']}", ind))
            out.append(_wrap(f"A: {f['a']}", ind + "   "))
    if page.get("references"):
        out.append(h2("References"))
        out += [f"{ind}- {r['title']}" + (f" <{r['url']}>" if r.get("url") else "")
                for r in page["references"]]
    return "\n".join(out) + "\n"
