"""JavaScript's and TypeScript's room (the grammars share their import, class and function
nodes): imports and exports (imports.py), scopes (scopes.py), the calls and `this` members a
suggestion uses that exist nowhere (names.py), and the import a file is missing
(missing_imports.py)."""

from __future__ import annotations

from pathlib import Path

from codegen_complete.context.languages.spec import LanguageSpec

QUERIES = Path(__file__).with_name("queries")
JAVASCRIPT = LanguageSpec(
    "javascript", (".js", ".mjs", ".cjs", ".jsx"), ("javascript", "javascriptreact"),
    "tree_sitter_javascript", "language", "//", "{", room=__name__, queries=QUERIES,
)  # fmt: skip
TYPESCRIPT = LanguageSpec(
    "typescript", (".ts", ".mts", ".cts"), ("typescript",), "tree_sitter_typescript",
    "language_typescript", "//", "{", room=__name__, queries=QUERIES / "typescript",
    inherits=JAVASCRIPT,
)  # fmt: skip
TSX = LanguageSpec(
    "tsx", (".tsx",), ("typescriptreact",), "tree_sitter_typescript", "language_tsx", "//",
    "{", room=__name__, queries=QUERIES / "tsx", inherits=JAVASCRIPT,
)  # fmt: skip
SPECS = (JAVASCRIPT, TYPESCRIPT, TSX)
