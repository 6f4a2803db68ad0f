import pytest

from kb_engine.versions import check, find_versions


def test_versions_from_freeze_dist_info_paths_and_banners() -> None:
    text = "\n".join([
        "fastapi==0.110.0",
        "SQLAlchemy==2.0.30",
        "Successfully installed anyio-4.4.0 starlette-0.37.2",
        "/usr/local/lib/python3.12/site-packages/pydantic-2.7.1.dist-info/METADATA",
    ])
    found = find_versions(text)
    assert found["fastapi"] == "0.110.0"
    assert found["sqlalchemy"] == "2.0.30"
    assert found["starlette"] == "0.37.2"
    assert found["pydantic"] == "2.7.1"
    assert found["python"] == "3.12"


def test_range_check_names_the_version_that_is_out_of_range() -> None:
    seen = {"sqlalchemy": "1.3.24", "python": "3.12"}
    assert check({"SQLAlchemy": ">=1.4"}, None, seen) == (
        "sqlalchemy 1.3.24 seen in the input is outside >=1.4")
    assert check({}, "<3.12", seen) == "python 3.12 seen in the input is outside <3.12"
    assert check({"sqlalchemy": "<2"}, ">=3.8", seen) is None
    assert check({"redis": ">=5"}, None, seen) is None  # not seen: no verdict


def test_a_single_line_reads_as_it_does_inside_a_multi_line_text() -> None:
    # One line goes through an anchored match, text with newlines through findall: the
    # matcher hands over single lines, so both must agree on each line.
    lines = ["requests==2.31.0", "  Flask_Login==0.6.3  ", "ERROR " * 50 + "== " * 30,
             "x==1 y==2", "pkg==", "==1.0", "a.b-c==1.0rc1+local", "\tzope.interface==6.0\t",
             "redis==5.0.1 # pinned", "name== 1.0",
             "2026-11-28T10:00:00.1234567Z requests==2.31.0", "12:00:01\t  x==1.0",
             "2026-11-28 10:00:00 requests==1.0", "2026-11-28T10:00:00Zrequests==1.0",
             "1.2.3==4", "1 2 x==1"]
    for line in lines:
        assert find_versions(line) == find_versions(f"{line}\nother text\n"), line
    assert find_versions(lines[1]) == {"flask-login": "0.6.3"}
    assert find_versions(lines[2]) == {}
    assert find_versions(lines[6]) == {"a-b-c": "1.0rc1+local"}


def test_a_freeze_line_behind_a_ci_stamp_is_read() -> None:
    # GitHub Actions stamps every line of a job's log, pip freeze output included.
    assert find_versions("2026-11-28T10:00:00.1234567Z requests==2.31.0") == {
        "requests": "2.31.0"}
    assert find_versions("2026-11-28T10:00:00.1234567Z  SQLAlchemy==2.0.30  ") == {
        "sqlalchemy": "2.0.30"}
    # only a stamp and its blanks: a date and a time, a glued name, two stamps are not one
    assert find_versions("2026-11-28 10:00:00 requests==1.0") == {}
    assert find_versions("2026-11-28T10:00:00Zrequests==1.0") == {}
    assert find_versions("ERROR 2026 requests==1.0") == {}


def test_names_and_versions_past_their_lengths_are_not_read() -> None:
    from kb_engine.versions import find_versions

    assert find_versions("a" * 201 + "==1.0\n" + "b==1." + "0" * 98 + "\nc==2.0") == {
        "b": "1." + "0" * 98, "c": "2.0"}  # a 100-character version is read
    assert find_versions("ok==1." + "0" * 99) == {}  # 101 characters


def test_version_lines_inside_copied_tracebacks_are_skipped_by_span() -> None:
    import random

    from kb_engine.linespans import LineSpans

    rng = random.Random(3)
    for _ in range(500):
        where = sorted(rng.sample(range(300), rng.randrange(0, 80)))
        cuts = sorted(rng.sample(range(300), 2 * rng.randrange(0, 12)))
        spans = [(cuts[k], cuts[k + 1]) for k in range(0, len(cuts), 2)]
        expected = [w for w in where if not any(a <= w <= b for a, b in spans)]
        copies = LineSpans()
        for first, last in spans:
            copies.add(first, last)
        assert [w for w in where if w not in copies] == expected


def test_a_line_the_byte_cue_skips_names_no_version() -> None:
    import random

    from kb_engine.versions import PYTHON_NAMING, VERSION_CUE

    rng = random.Random(11)
    pieces = ["==", "= =", "1.2", "٣", "x", "pkg", " ", "\t", "-", "_", ".",
              "2026-11-28T10:00:00Z ", "Successfully installed ", "a-1.0 ", ".dist-info",
              "foo-2.0", "/python3.11/",
              "site-packages/", "dist-packages/", "Python 3.11.7", "python/3.12.1", "ERROR ",
              "\u00e9", "\ufffd", "&page=3", " # pinned", "\u2028", "\u00a0", "\x1c", "+b",
              "!", "Python/3.11 ", "/python3/", "3.\u0663.1"]
    cued = 0
    for _ in range(30_000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 9)))
        raw = line.encode("utf-8")
        if VERSION_CUE.search(raw) is None:
            assert find_versions(line) == {}, line
        else:
            cued += bool(find_versions(line))
        if not any(regex.search(raw) for regex in PYTHON_NAMING):
            assert "python" not in find_versions(line), line
    assert cued > 1000


_SITE_PIECES = [
    "/opt/app/lib/site-packages/x.py:3: warning",  # a site path naming no Python
    '  File "/usr/lib/python3.\u0661\u0661/site-packages/a.py", line 1',  # Unicode digits
    "x" * 70_000 + " /usr/lib/python3.9/site-packages/b.py",  # past the 64 KiB a line is read
    '  File "/usr/local/lib/python3.11/site-packages/uvicorn/main.py", line 4, in run',
    "Python 3.12.4 (main, Jun  6 2024) [GCC 12.2.0] on linux",
    "/usr/lib/python3.10/dist-packages/foo-1.2.dist-info/RECORD",
    "requests==2.31.0",
    "2026-11-28T10:00:00.1234567Z /srv/python3.8/site-packages/c.py",
    "INFO GET /health 200",
    '  File "/usr/lib/python3/dist-packages/apt/cache.py", line 7, in open',  # Debian's
    "/usr/lib/python3.12x/site-packages/e.py",  # not a version, but the bytes may be one
    '10.0.0.7 - - [28/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" '
    '"Python/3.11 aiohttp/3.9.5"',  # aiohttp's user agent: a cue, no version
    "ua=CPython/3.10.\u0662 ok",  # a banner with a Unicode digit
    "Traceback (most recent call last):",
    '  File "/usr/lib/python3.7/site-packages/d.py", line 9, in f',
    "ValueError: boom",
]


@pytest.mark.parametrize("segment", [None, 64])
def test_site_packages_lines_read_as_every_line_is_read(
        segment: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hyperscan gives only the first site-packages line of each stretch it scans; the
    rest are found after it while Python's version is unknown. Whatever the order of
    non-naming, cut-off, Unicode and stamped site lines, banners and tracebacks, the
    versions read equal those of the path that reads every line."""
    import random

    from kb_engine import prefilter
    from kb_engine.compiled import compile_pages
    from kb_engine.loader import bundled_rules_dir, collect
    from kb_engine.matcher import scan_text

    if not prefilter.HAVE_HYPERSCAN:
        pytest.skip("no hyperscan wheel on this platform")
    if segment is not None:  # many scans a window: one first line each
        monkeypatch.setattr(prefilter, "_SEGMENT", segment)
        monkeypatch.setattr(prefilter, "_SAMPLE", segment)
    pages, errors = collect([bundled_rules_dir()])
    assert not errors
    compiled = compile_pages(pages, prefer_hyperscan=True)
    rng = random.Random(11)
    named = 0
    weights = [0.3 if len(piece) > 1000 else 1.0 for piece in _SITE_PIECES]  # slow to read
    for _ in range(80):
        text = "\n".join(rng.choices(_SITE_PIECES, weights, k=rng.randrange(1, 30)))
        fast = scan_text(compiled, text).versions
        slow = scan_text(compiled, text, use_prefilter=False).versions
        assert list(fast.items()) == list(slow.items()), text[-2000:]
        named += "python" in slow
    assert named > 50  # the cases name Python, mostly


def test_hyperscan_gives_the_first_python_version_line_of_a_scan() -> None:
    from kb_engine import prefilter
    from kb_engine.compiled import compile_pages
    from kb_engine.loader import bundled_rules_dir, collect
    from kb_engine.markers import PROBE_PYTHON_VERSION, PROBE_VERSION

    if not prefilter.HAVE_HYPERSCAN:
        pytest.skip("no hyperscan wheel on this platform")
    pages, _ = collect([bundled_rules_dir()])
    pre = compile_pages(pages, prefer_hyperscan=True).prefilter
    window = "\n".join(["ok", "/a/python3.11/site-packages/x", "Python 3.11.4 (main)",
                        "pydantic-2.7.1.dist-info", "/c/python3.11/site-packages/z",
                        "CPython/3.11.4"]).encode()
    cands, _ = pre.candidates(window)
    # the first line of each of the three cues: "-packages/", "ython 3." and "ython/3."
    assert sorted(cands[PROBE_PYTHON_VERSION]) == [1, 2, 5]
    assert sorted(cands[PROBE_VERSION]) == [3]  # other version cues: every line


def test_lines_that_cannot_name_python_are_not_read() -> None:
    """Debian's system Python prints /usr/lib/python3/dist-packages on every frame line,
    and a service called by aiohttp logs "Python/3.11" on every access line: no line of
    such a window is handed to the version reader."""
    from kb_engine.versionlines import python_lines
    from kb_engine.windows import WindowLines

    frame = b'  File "/usr/lib/python3/dist-packages/apt/cache.py", line 7, in open'
    agent = b'10.0.0.7 - - "GET / HTTP/1.1" 200 5 "-" "Python/3.11 aiohttp/3.9.5"'
    window = b"\n".join([frame, agent] * 2500 + [b"/srv/python3.11/site-packages/x.py", frame])
    assert list(python_lines(WindowLines(window), 0, {})) == [5000]
    assert list(python_lines(WindowLines(window), 0, {"python": "3.12"})) == []
