"""Languages: file extensions and LSP language ids → tree-sitter grammars and queries.

Grammars come from their own PyPI wheels (tree-sitter-python, ...), loaded on first use;
nothing is downloaded at run time. Queries live in `queries/<language>/<name>.scm`. A file of
an unknown language is still completed, as plain text, without a tree.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from pathlib import Path, PurePath

from tree_sitter import Language, Parser, Query

QUERIES = Path(__file__).with_name("queries")


@dataclass(frozen=True)
class LanguageSpec:
    name: str  # also the folder under queries/
    extensions: tuple[str, ...]
    lsp_ids: tuple[str, ...]
    module: str  # the grammar wheel's import name
    entry: str  # its function returning the language pointer
    line_comment: str  # to write context blocks as comments
    # The character that opens a block: ":" (Python) or "{" (brace languages).
    block_opener: str
    # A language whose queries serve where this one has none (TypeScript reads JavaScript's
    # imports: the grammars share those nodes).
    inherits: str | None = None


SPECS: tuple[LanguageSpec, ...] = (
    LanguageSpec("python", (".py", ".pyi"), ("python",), "tree_sitter_python", "language",
                 "#", ":"),
    LanguageSpec("javascript", (".js", ".mjs", ".cjs", ".jsx"), ("javascript", "javascriptreact"),
                 "tree_sitter_javascript", "language", "//", "{"),
    LanguageSpec("typescript", (".ts", ".mts", ".cts"), ("typescript",),
                 "tree_sitter_typescript", "language_typescript", "//", "{", "javascript"),
    LanguageSpec("tsx", (".tsx",), ("typescriptreact",), "tree_sitter_typescript",
                 "language_tsx", "//", "{", "javascript"),
    LanguageSpec("go", (".go",), ("go",), "tree_sitter_go", "language", "//", "{"),
    LanguageSpec("rust", (".rs",), ("rust",), "tree_sitter_rust", "language", "//", "{"),
    LanguageSpec("java", (".java",), ("java",), "tree_sitter_java", "language", "//", "{"),
    LanguageSpec("c", (".c", ".h"), ("c",), "tree_sitter_c", "language", "//", "{"),
    LanguageSpec("cpp", (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"), ("cpp",),
                 "tree_sitter_cpp", "language", "//", "{"),
)  # fmt: skip

_BY_EXTENSION = {extension: spec for spec in SPECS for extension in spec.extensions}
_BY_LSP_ID = {lsp_id: spec for spec in SPECS for lsp_id in spec.lsp_ids}


def detect(path: str | PurePath | None = None, lsp_id: str | None = None) -> LanguageSpec | None:
    """The language of a document: its LSP language id first, else its file extension."""
    if lsp_id and lsp_id in _BY_LSP_ID:
        return _BY_LSP_ID[lsp_id]
    if path is not None:
        return _BY_EXTENSION.get(PurePath(path).suffix.lower())
    return None


@functools.cache
def grammar(spec: LanguageSpec) -> Language | None:
    """The tree-sitter language, or None when its grammar wheel is not installed."""
    try:
        module = importlib.import_module(spec.module)
    except ImportError:
        return None
    return Language(getattr(module, spec.entry)())


def parser(spec: LanguageSpec) -> Parser | None:
    language = grammar(spec)
    return Parser(language) if language is not None else None


@functools.cache
def query(spec: LanguageSpec, name: str) -> Query | None:
    """The query `queries/<language>/<name>.scm` (or the inherited language's), or None when
    there is none."""
    language = grammar(spec)
    path = QUERIES / spec.name / f"{name}.scm"
    if not path.is_file() and spec.inherits is not None:
        path = QUERIES / spec.inherits / f"{name}.scm"
    if language is None or not path.is_file():
        return None
    return Query(language, path.read_text())
