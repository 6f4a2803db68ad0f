from kb_engine.cleanup import clean_text


def test_slack_paste_is_restored_without_shifting_lines() -> None:
    pasted = (
        "```Traceback (most recent call last):\n"
        "  File \u201c/app/main.py\u201d, line 3, in &lt;module&gt;\n"
        "ValueError: a &amp; b```\r\n"
        "```\n"
        "see <https://example.invalid/x|https://example.invalid/x>\n"
    )
    out = clean_text(pasted)
    lines = out.split("\n")
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == '  File "/app/main.py", line 3, in <module>'
    assert lines[2] == "ValueError: a & b"
    assert lines[3] == ""  # a fence line becomes empty, so line numbers still match the paste
    assert lines[4] == "see https://example.invalid/x"
    assert len(lines) == len(pasted.replace("\r\n", "\n").split("\n"))


def test_ansi_colours_and_bare_cr_are_removed() -> None:
    assert clean_text("\x1b[31mERROR\x1b[0m boom\rnext") == "ERROR boom\nnext"


def test_python_reprs_in_angle_brackets_are_kept() -> None:
    text = "<Task pending name='Task-1' coro=<main() running at /app/x.py:3>>"
    assert clean_text(text) == text
