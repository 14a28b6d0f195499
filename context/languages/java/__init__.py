"""Java's room: its grammar and queries, its imports and packages (imports.py), and the
methods a suggestion calls without a receiver that exist nowhere (names.py)."""

from __future__ import annotations

from pathlib import Path

from codegen_complete.context.languages.spec import LanguageSpec

JAVA = LanguageSpec(
    "java", (".java",), ("java",), "tree_sitter_java", "language", "//", "{",
    room=__name__, queries=Path(__file__).with_name("queries"),
)  # fmt: skip
SPECS = (JAVA,)
