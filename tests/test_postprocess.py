from __future__ import annotations

import pytest

from codegen_complete.completion.postprocess import (
    line_is_complete,
    one_line,
    postprocess,
    remove_suffix_overlap,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a + b\n\nprint(add(1, 2))", "a + b"),
        ("a + b   \n", "a + b"),
        ("\n    return total\n", "\n    return total"),
        ("\r\n    x = 1\r\n", "\n    x = 1"),
        ("\n\n", ""),
        ("   \n", ""),
        ("", ""),
    ],
)
def test_one_line(raw: str, expected: str) -> None:
    assert one_line(raw) == expected


@pytest.mark.parametrize(
    ("text", "complete"),
    [("a + b", False), ("a + b\n", True), ("\n    return", False), ("\n    return x\n", True)],
)
def test_line_is_complete(text: str, complete: bool) -> None:
    assert line_is_complete(text) is complete


@pytest.mark.parametrize(
    ("completion", "rest", "expected"),
    [
        ("x)", ")", "x"),
        ("a, b):", "):", "a, b"),
        ("items[0]", "]", "items[0"),
        ("value", ")", "value"),
        ("x", "", "x"),
        ("name ", " ", "name "),
        ("\n    return x)", ")", "\n    return x)"),
    ],
)
def test_remove_suffix_overlap(completion: str, rest: str, expected: str) -> None:
    assert remove_suffix_overlap(completion, rest) == expected


def test_postprocess_cuts_and_removes_overlap() -> None:
    assert postprocess("x, y)\nprint(z)\n", ")\nmore\n") == "x, y"
