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
