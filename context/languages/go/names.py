"""Go's name check: a function called without a package that neither the file, its package
(the other `.go` files of its folder) nor the language declares (the check:
context/languages/bare_calls.py)."""

from __future__ import annotations

import re
from pathlib import Path

from codegen_complete.context.languages.bare_calls import (
    BareCallRules,
    bare_call_check,
    call_without_path,
    words_beside,
)

PREDECLARED = frozenset(
    re.findall(
        r"\w+",
        "append cap clear close complex copy delete imag len make max min new panic print println "
        "real recover bool byte comparable complex64 complex128 error float32 float64 int int8 "
        "int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any iota nil true "
        "false",
    )
)


def package_names(path: Path) -> frozenset[str]:
    """Every word of the other `.go` files in `path`'s folder (its package)."""
    return words_beside(path, "*.go")


RULES = BareCallRules(
    predeclared=PREDECLARED,
    unseen=re.compile(r'(?m)^\s*(?:import\s+)?\.\s+"'),  # a dot import
    callee=call_without_path,
    neighbours=package_names,
)

unresolved = bare_call_check(RULES)
