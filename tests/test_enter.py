"""Where Enter puts the cursor: the auto-indent guess behind the prepared next line."""

from __future__ import annotations

from codegen_complete.context.enter import indent_after_enter, indent_unit
from codegen_complete.context.languages import detect

PYTHON = detect("a.py", None)
JAVASCRIPT = detect("a.js", None)
PY_TEXT = "def f(x):\n    if x:\n        return 1\n    y = 2\n"
JS_TEXT = "function f(x) {\n  if (x) {\n    return 1;\n  }\n}\n"


def test_the_file_says_its_indentation_step() -> None:
    assert indent_unit(PY_TEXT) == "    "
    assert indent_unit(JS_TEXT) == "  "
    assert indent_unit("if x:\n\ty = 1\n") == "\t"
    assert indent_unit("x = 1\n") == "    "  # nothing indented: the common default


def test_enter_keeps_the_indentation_of_a_plain_line() -> None:
    assert indent_after_enter("    y = 2", PY_TEXT, PYTHON) == "    "
    assert indent_after_enter("  const a = 1;", JS_TEXT, JAVASCRIPT) == "  "


def test_enter_indents_after_a_block_or_bracket_opens() -> None:
    assert indent_after_enter("    if x:", PY_TEXT, PYTHON) == "        "
    assert indent_after_enter("    call(", PY_TEXT, PYTHON) == "        "
    assert indent_after_enter("  if (x) {", JS_TEXT, JAVASCRIPT) == "    "


def test_python_dedents_after_a_line_that_ends_its_block() -> None:
    assert indent_after_enter("        return 1", PY_TEXT, PYTHON) == "    "
    assert indent_after_enter("        raise ValueError(x)", PY_TEXT, PYTHON) == "    "
    assert indent_after_enter("        returned = 1", PY_TEXT, PYTHON) == "        "
    # JavaScript's `return` ends a statement, not a block: the braces say where blocks end.
    assert indent_after_enter("    return 1;", JS_TEXT, JAVASCRIPT) == "    "
