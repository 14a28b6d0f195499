"""Incremental parsing gives the same tree as a fresh parse, whatever the edits."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen_complete.context.documents import Document, syntax_damage

SOURCES = {
    "example.py": "import os\n\n\ndef add(a, b):\n    return a + b  # sum\n\nname = 'é✓'\n",
    "example.ts": "function add(a: number, b: number): number {\n  return a + b; // é\n}\n",
    "example.go": "package main\n\nfunc add(a int, b int) int {\n\treturn a + b\n}\n",
    "example.rs": "fn add(a: i32, b: i32) -> i32 {\n    a + b // ✓\n}\n",
}
SNIPPETS = ["x", " ", "\n", "(", ")", "{", "}", "é", "✓", "'", '"', "#", "//", "return ", ":"]


@pytest.mark.parametrize("path", sorted(SOURCES))
@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_incremental_parse_equals_fresh_parse(path: str, seed: int) -> None:
    rng = random.Random(seed)
    document = Document.open(SOURCES[path], path=path)
    for _ in range(20):
        start = rng.randint(0, len(document.text))
        end = min(len(document.text), start + rng.choice([0, 0, 1, 3]))
        document.edit(start, end, rng.choice([*SNIPPETS, ""]))
        fresh = Document.open(document.text, path=path)
        assert document.tree is not None and fresh.tree is not None
        incremental, scratch = document.tree.root_node, fresh.tree.root_node
        assert incremental.end_byte == scratch.end_byte == len(document.text.encode())
        assert incremental.has_error == scratch.has_error
        if not scratch.has_error:
            assert str(incremental) == str(scratch)
        # (Inside syntax errors tree-sitter may recover differently when it reuses old
        # nodes; both trees are then valid parses, so only error-free states must match.)


def test_unknown_language_has_no_tree() -> None:
    document = Document.open("some text", path="notes.txt")
    assert document.tree is None
    document.edit(0, 4, "more")
    assert document.text == "more text"


def test_edit_outside_the_text_is_refused() -> None:
    document = Document.open("x = 1\n", path="a.py")
    with pytest.raises(ValueError, match="outside the document"):
        document.edit(3, 99, "")


def damage(text: str) -> int:
    tree = Document.open(text, path="a.py").tree
    assert tree is not None
    return syntax_damage(tree.root_node)


def test_syntax_damage_grows_with_the_broken_span() -> None:
    assert damage("x = 1\n") == 0
    assert 0 < damage("x = \n") < damage("x = )))\n")
