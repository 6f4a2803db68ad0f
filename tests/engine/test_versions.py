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

    from kb_engine.matcher import _outside

    rng = random.Random(3)
    for _ in range(500):
        where = sorted(rng.sample(range(300), rng.randrange(0, 80)))
        cuts = sorted(rng.sample(range(300), 2 * rng.randrange(0, 12)))
        spans = [(cuts[k], cuts[k + 1]) for k in range(0, len(cuts), 2)]
        expected = [w for w in where if not any(a <= w <= b for a, b in spans)]
        assert list(_outside(where, spans)) == expected


def test_a_line_the_byte_cue_skips_names_no_version() -> None:
    import random

    from kb_engine.versions import VERSION_CUE

    rng = random.Random(11)
    pieces = ["==", "= =", "1.2", "٣", "x", "pkg", " ", "\t", "-", "_", ".",
              "2026-11-28T10:00:00Z ", "Successfully installed ", "a-1.0 ", ".dist-info",
              "foo-2.0", "/python3.11/",
              "site-packages/", "dist-packages/", "Python 3.11.7", "python/3.12.1", "ERROR ",
              "\u00e9", "\ufffd"]
    cued = 0
    for _ in range(20_000):
        line = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 9)))
        if VERSION_CUE.search(line.encode("utf-8")) is None:
            assert find_versions(line) == {}, line
        else:
            cued += bool(find_versions(line))
    assert cued > 1000
