"""What the shared code knows of a language: its grammar wheel, file extensions, LSP ids,
comment syntax, block opener and query folder; and the tree-sitter objects built from them.

Grammars come from their own PyPI wheels (tree-sitter-python, ...), loaded on first use;
nothing is downloaded at run time. Queries live in the language's room, `<room>/queries/`.
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Language, Parser, Query


@dataclass(frozen=True)
class LanguageSpec:
    name: str
    extensions: tuple[str, ...]
    lsp_ids: tuple[str, ...]
    module: str  # the grammar wheel's import name
    entry: str  # its function returning the language pointer
    line_comment: str  # to write context blocks as comments
    # The character that opens a block: ":" (Python) or "{" (brace languages).
    block_opener: str
    room: str  # the package of the language's room (its import rules, name check, ...)
    queries: Path  # the folder of its `<name>.scm` queries
    # A language whose queries serve where this one has none (TypeScript reads JavaScript's
    # imports: the grammars share those nodes).
    inherits: LanguageSpec | None = None
    # A line that ends its block: the next line goes one level shallower (`return` in an
    # indentation language); None where braces close blocks.
    block_end: re.Pattern[str] | None = None


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
    """The query `<name>.scm` of the language's folder (or the inherited language's), or None
    when there is none."""
    language = grammar(spec)
    path = spec.queries / f"{name}.scm"
    if not path.is_file() and spec.inherits is not None:
        path = spec.inherits.queries / f"{name}.scm"
    if language is None or not path.is_file():
        return None
    return Query(language, path.read_text())
