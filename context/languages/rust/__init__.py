"""Rust's room: its grammar and queries, its modules and `use` declarations (imports.py), and
the functions a suggestion calls without a path that exist nowhere (names.py)."""

from __future__ import annotations

from pathlib import Path

from codegen_complete.context.languages.spec import LanguageSpec

RUST = LanguageSpec(
    "rust", (".rs",), ("rust",), "tree_sitter_rust", "language", "//", "{",
    room=__name__, queries=Path(__file__).with_name("queries"),
)  # fmt: skip
SPECS = (RUST,)
