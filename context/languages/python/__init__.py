"""Python's room: its grammar and queries, imports and the definitions they point to
(imports.py), the names a suggestion reads that resolve nowhere (names.py), and the import a
file is missing (missing_imports.py)."""

from __future__ import annotations

import re
from pathlib import Path

from codegen_complete.context.languages.spec import LanguageSpec

PYTHON = LanguageSpec(
    "python", (".py", ".pyi"), ("python",), "tree_sitter_python", "language", "#", ":",
    room=__name__, queries=Path(__file__).with_name("queries"),
    block_end=re.compile(r"^(return|pass|raise|break|continue)\b"),
)  # fmt: skip
SPECS = (PYTHON,)
