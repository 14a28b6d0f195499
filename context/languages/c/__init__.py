"""C's and C++'s room: their grammars and queries, and the headers a file includes with the
declarations they hold (imports.py). No name check yet."""

from __future__ import annotations

from pathlib import Path

from codegen_complete.context.languages.spec import LanguageSpec

QUERIES = Path(__file__).with_name("queries")
C = LanguageSpec(
    "c", (".c", ".h"), ("c",), "tree_sitter_c", "language", "//", "{", room=__name__,
    queries=QUERIES / "c",
)  # fmt: skip
CPP = LanguageSpec(
    "cpp", (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"), ("cpp",), "tree_sitter_cpp",
    "language", "//", "{", room=__name__, queries=QUERIES / "cpp",
)  # fmt: skip
SPECS = (C, CPP)
