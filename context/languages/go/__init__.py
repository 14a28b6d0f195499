"""Go's room: its grammar and queries, its imports and packages (imports.py: a folder's
files are one package), and the functions a suggestion calls without a package that exist
nowhere (names.py)."""

from __future__ import annotations

from pathlib import Path

from codegen_complete.context.languages.spec import LanguageSpec

GO = LanguageSpec(
    "go", (".go",), ("go",), "tree_sitter_go", "language", "//", "{",
    room=__name__, queries=Path(__file__).with_name("queries"),
)  # fmt: skip
SPECS = (GO,)
