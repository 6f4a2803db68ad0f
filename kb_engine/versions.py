"""Package and runtime versions visible in the input, and range checks against them.

Sources: ``pip freeze`` lines (``name==1.2.3``), ``Successfully installed a-1.0``,
``*.dist-info`` directory names, ``.../python3.X/site-packages`` paths and
``Python 3.X.Y`` banners.
"""

from __future__ import annotations

import re

_CANON = re.compile(r"[-_.]+")


def canonicalize_name(name: str) -> str:
    """PEP 503 normalised name (same as packaging's, without importing it at start-up)."""
    return _CANON.sub("-", name).lower()

# A CI runner's stamp (GitHub Actions: "2026-11-28T10:00:00.1234567Z"): digits and :.-+TZ,
# digit-led, then a blank. A version pattern starting inside it would have to run on
# through the blank (``==`` and ``.dist-info`` come after names without blanks), the
# others start with letters or "/" (Python, Successfully installed, /pythonX.Y/), and a
# freeze line is read behind any stamp alike. So a stamped line names what its rest names
# behind any other stamp: kb_engine.matcher remembers version lines by that rest.
_STAMP_CHARS = r"[0-9][0-9:.TZ+-]*"
STAMP = re.compile((_STAMP_CHARS + r"(?=[ \t])").encode())  # on a line's bytes
_STAMPED = f"(?:{_STAMP_CHARS}[ \\t]+)?"
# ``pip freeze`` lines, also behind a stamp.
_FREEZE = re.compile(r"^\s*" + _STAMPED + r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\d[\w.+!-]*)\s*$",
                     re.MULTILINE)
# The same for one line: ``re`` tries a MULTILINE ``^`` at every position of the text (10 us
# on a 1 KB line of "==" noise), ``match`` only at its start.
_FREEZE_LINE = re.compile(r"\s*" + _STAMPED + r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\d[\w.+!-]*)\s*$")
_INSTALLED = re.compile(r"Successfully installed ((?:[\w.-]+-\d[\w.+!]*\s*)+)")
_DIST_INFO = re.compile(r"\b([A-Za-z0-9][A-Za-z0-9._]*?)-(\d[\w.+!]*?)\.dist-info\b")
_SITE_PY = re.compile(r"/python(3\.\d{1,2})/(?:site|dist)-packages/")
# On a line's bytes, what every _SITE_PY or _BANNER match holds: the lines that may name
# Python's version, the only name those two give (kb_engine.versionlines reads them until
# one does). A digit is ASCII or a Unicode one (bytes past ASCII, at most four). Lines with
# the cue but not the version name nothing, often on every line: Debian's
# /usr/lib/python3/dist-packages in each frame, aiohttp's "Python/3.11 aiohttp/3.9.5"
# user agent in each access line.
# Two patterns, not one alternation: each starts with a literal, which `re` searches for
# at C speed (an alternation of the two is tried at every byte, 200 MB/s).
_DIGIT_B = rb"[0-9\x80-\xff]"
PYTHON_NAMING = (re.compile(rb"/python3\." + _DIGIT_B + rb"{1,8}/(?:site|dist)-packages/"),
                 re.compile(rb"ython[ /]3\." + _DIGIT_B + rb"{1,8}\." + _DIGIT_B))
_BANNER = re.compile(r"\b(?:Python|CPython|python)[ /](3\.\d{1,2}\.\d{1,3})\b")
_LITERALS = ("==", "Successfully installed", ".dist-info", "-packages/", "ython")
# What a line's bytes must hold to name a version here: "==" then a digit and nothing but
# version characters and blanks to the line's end (a freeze line's version, then \s*$; a
# byte past ASCII may be part of a Unicode digit, letter or space, which \d, \w and \s
# take), or another source's literal (the site-packages and banner patterns both hold
# "ython"). The matcher skips other lines undecoded: "filter=status==200&page=3" on every
# access line names nothing. Where Hyperscan runs, FREEZE_CUE is the version probe itself.
FREEZE_CUE = rb"==[0-9\x80-\xff][0-9A-Za-z_.+!\x80-\xff \t\r\x0b\x0c\x1c-\x1f-]*$"
VERSION_CUE = re.compile(rb"(?:" + FREEZE_CUE + rb")|Successfully installed|\.dist-info|ython")


# Bounds: a log of endless distinct ``pkgN==1.0`` lines must not grow the report without
# end. The first names seen are kept (as without the bound: the first line naming one
# wins); no real package name or version comes near the lengths.
MAX_VERSIONS = 5000
_MAX_NAME, _MAX_VERSION = 200, 100


def add_version(found: dict[str, str], name: str, version: str) -> None:
    """``found.setdefault(name, version)`` within the bounds (``name`` canonical)."""
    if (len(found) < MAX_VERSIONS and len(name) <= _MAX_NAME
            and len(version) <= _MAX_VERSION):
        found.setdefault(name, version)


def find_versions(text: str, into: dict[str, str] | None = None) -> dict[str, str]:
    """Versions named in ``text``: canonical package name (or ``python``) -> version.
    Names already in ``into`` keep their version; at most MAX_VERSIONS names."""
    found: dict[str, str] = {} if into is None else into
    if not any(lit in text for lit in _LITERALS) or len(found) >= MAX_VERSIONS:
        return found
    if "==" in text:
        if "\n" in text:
            pairs = _FREEZE.findall(text)
        else:
            m = _FREEZE_LINE.match(text)
            pairs = [m.groups()] if m else []
        for name, ver in pairs:
            add_version(found, canonicalize_name(name), ver)
    if "Successfully installed" in text:
        for group in _INSTALLED.findall(text):
            for item in group.split():
                name, _, ver = item.rpartition("-")
                if name:
                    add_version(found, canonicalize_name(name), ver)
    if ".dist-info" in text:
        for name, ver in _DIST_INFO.findall(text):
            add_version(found, canonicalize_name(name), ver)
    if "ython" in text:
        for ver in _BANNER.findall(text):
            add_version(found, "python", ver)
    if "-packages/" in text and "python" not in found:
        m = _SITE_PY.search(text)
        if m:
            add_version(found, "python", m.group(1))
    return found


def check(
    packages: dict[str, str], python: str | None, seen: dict[str, str]
) -> str | None:
    """None when every seen version is in range, else a note saying which is not."""
    if not seen or not (packages or python):
        return None
    # packaging costs ~80 ms to import: only pay it when a range must really be checked.
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    wanted: dict[str, str] = {canonicalize_name(k): v for k, v in packages.items()}
    if python:
        wanted["python"] = python
    for name, spec in wanted.items():
        version = seen.get(name)
        if version is None:
            continue
        try:
            spec_set = SpecifierSet(spec)
            parsed = Version(version)
        except (InvalidSpecifier, InvalidVersion):
            continue
        if name == "python" and parsed.release and len(parsed.release) == 2:
            # "3.11" from a site-packages path: compare as the lowest patch release.
            parsed = Version(f"{version}.0")
        if not spec_set.contains(parsed, prereleases=True):
            return f"{name} {version} seen in the input is outside {spec}"
    return None
