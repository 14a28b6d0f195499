"""Which brackets are open where the user types (completion/postprocess/brackets.py)."""

from __future__ import annotations

from codegen_complete.completion.postprocess.brackets import open_at, still_open
from codegen_complete.context.languages import detect, parser


def open_brackets(marked: str, path: str) -> str:
    before, after = marked.split("|")
    tree = parser(detect(path)).parse((before + after).encode())  # type: ignore[union-attr]
    return open_at(tree, before + after, len(before))


def test_brackets_in_strings_and_comments_do_not_count() -> None:
    assert open_brackets("x = [  # (\n    \"(\", '[',\n    |\ny = 1\n", "a.py") == "]"
    assert open_brackets("const x = {\n  a: `(${b}`, // [\n  |\n", "a.js") == "}"


def test_brackets_closed_above_are_not_open() -> None:
    assert open_brackets("f(a, [1, 2])\ng = {\n    'k': (1,\n|", "a.py") == ")}"
    assert open_brackets("def f():\n    return 1\n|", "a.py") == ""


def test_a_line_ending_with_an_opener_may_be_closed_below() -> None:
    assert still_open("result = compute(", "]") == (")", "]")
    assert still_open("if (ready) {", "") == ("}", "")
    # Left open mid-line, the line is unfinished: its bracket is not closed for it.
    assert still_open("result = compute(values", "") == ("", "")
    # A closer in the line closes the innermost bracket open above it.
    assert still_open("values)", ")]") == ("", "]")
    assert still_open('")" + x)', ")") == ("", "")
