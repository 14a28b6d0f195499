from __future__ import annotations

from pathlib import Path

import pytest

from codegen_complete.server.positions import PositionError, parse_location, resolve_cursor


def test_parse_location() -> None:
    assert parse_location("a/b.py:42").line == 42
    location = parse_location("a/b.py:42:7")
    assert (location.path, location.line, location.column) == (Path("a/b.py"), 42, 7)
    assert parse_location("C:/x.py:3").path == Path("C:/x.py")


@pytest.mark.parametrize("bad", ["file.py", "file.py:", "file.py:x", ":3", "f.py:0", "f.py:2:0"])
def test_malformed_locations_are_refused(bad: str) -> None:
    with pytest.raises(PositionError):
        parse_location(bad)


TEXT = "def f():\n    \n    return 1\n"


def test_end_of_line_without_column() -> None:
    cursor = resolve_cursor(TEXT, 1, None)
    assert TEXT[: cursor.offset] == "def f():"
    assert cursor.column == 9


def test_blank_line_cursor_sits_after_the_indentation() -> None:
    cursor = resolve_cursor(TEXT, 2, None)
    assert TEXT[: cursor.offset].endswith("\n    ")


def test_explicit_column() -> None:
    cursor = resolve_cursor(TEXT, 3, 5)
    assert TEXT[cursor.offset :].startswith("return 1")


def test_crlf_lines() -> None:
    text = "a = 1\r\nb = 2\r\n"
    cursor = resolve_cursor(text, 1, None)
    assert text[: cursor.offset] == "a = 1"


def test_out_of_range() -> None:
    with pytest.raises(PositionError, match="past the end of the file"):
        resolve_cursor(TEXT, 9, None)
    with pytest.raises(PositionError, match="column 20 is past the end of line 1"):
        resolve_cursor(TEXT, 1, 20)


def test_empty_text_has_one_line() -> None:
    assert resolve_cursor("", 1, None).offset == 0


def test_lines_are_counted_as_an_editor_counts_them() -> None:
    five_lines = "".join(f"line {i}\n" for i in range(5))
    with pytest.raises(PositionError, match=r"\(5 lines\)"):
        resolve_cursor(five_lines, 99, None)
    # Line 6 is where the cursor goes after the final newline: the end of the file.
    assert resolve_cursor(five_lines, 6, None).offset == len(five_lines)
    with pytest.raises(PositionError, match=r"\(2 lines\)"):
        resolve_cursor("a\nb", 3, None)
