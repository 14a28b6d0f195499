"""Cursor classification on real tree-sitter trees: skip, single line or a block body."""

from __future__ import annotations

import pytest

from codegen_complete.context.classify import Mode, classify
from codegen_complete.context.documents import Document


def mode_at(marked: str, path: str, explicit: bool = False) -> Mode:
    offset = marked.index("|")
    document = Document.open(marked.replace("|", "", 1), path=path)
    return classify(document, offset, explicit).mode


@pytest.mark.parametrize(
    ("marked", "path", "expected"),
    [
        # Python
        ("x = 1  # a comment|\n", "a.py", Mode.SKIP),
        ("# comment| here\n", "a.py", Mode.SKIP),
        ("s = 'some| text'\n", "a.py", Mode.SKIP),
        ('s = """doc\nmore| text"""\n', "a.py", Mode.SKIP),
        ("s = 'text'|\n", "a.py", Mode.SKIP),  # a finished line
        ("TAX_LABEL = 'VAT'|\n", "a.py", Mode.SKIP),
        ("total = compute(x)|\n", "a.py", Mode.SKIP),
        ("total = compute(x|\n", "a.py", Mode.SINGLE_LINE),
        ("total = compute(x) +|\n", "a.py", Mode.SINGLE_LINE),
        ("items = [|]\n", "a.py", Mode.SINGLE_LINE),
        ('GREETING = "Welcome to the shop, |\n', "a.py", Mode.SKIP),  # an unclosed string
        ("GREETING = 'Welcome|\nprint(GREETING)\n", "a.py", Mode.SKIP),
        ("value = comp|ute(x)\n", "a.py", Mode.SKIP),
        ("value = compute|\n", "a.py", Mode.SINGLE_LINE),
        ("result = |\n", "a.py", Mode.SINGLE_LINE),
        ("def f(x):\n    |\n", "a.py", Mode.MULTI_LINE),
        ("def f(x):|\n", "a.py", Mode.MULTI_LINE),
        ("def f(x):\n    |\n\n\ndef g():\n    pass\n", "a.py", Mode.MULTI_LINE),
        ("if ready:\n    |\n    go()\n", "a.py", Mode.SINGLE_LINE),
        ("def f(x):\n    y = 1\n    |\n", "a.py", Mode.SINGLE_LINE),
        # Brace languages
        ("function f() {\n  |\n}\n", "a.js", Mode.MULTI_LINE),
        ("function f() {|}\n", "a.js", Mode.MULTI_LINE),
        ("const s = `tem|plate`;\n", "a.js", Mode.SKIP),
        ("const total = items.reduce((a, b) => a + b, 0);|\n", "a.js", Mode.SKIP),
        ("const total = items.reduce(|\n", "a.js", Mode.SINGLE_LINE),
        ('const greeting = "Welcome to |\n', "a.js", Mode.SKIP),
        ("fn f<'a>(x: &'a str) -> &'a str {\n    let y = |\n}\n", "a.rs", Mode.SINGLE_LINE),
        ("// note: |\n", "a.ts", Mode.SKIP),
        ("func main() {\n\t|\n}\n", "a.go", Mode.MULTI_LINE),
        ("fn main() {\n    let x = |\n}\n", "a.rs", Mode.SINGLE_LINE),
        ("int main() { /* c|omment */ }\n", "a.c", Mode.SKIP),
        # Unknown language: no tree, text rules only
        ("some words| here\n", "notes.txt", Mode.SINGLE_LINE),
    ],
)
def test_classify(marked: str, path: str, expected: Mode) -> None:
    assert mode_at(marked, path) is expected


def test_explicit_requests_complete_inside_comments_and_words() -> None:
    assert mode_at("x = 1  # a comment|\n", "a.py", explicit=True) is Mode.SINGLE_LINE
    assert mode_at("TAX_LABEL = 'VAT'|\n", "a.py", explicit=True) is Mode.SINGLE_LINE
    assert mode_at("value = comp|ute(x)\n", "a.py", explicit=True) is Mode.SINGLE_LINE
