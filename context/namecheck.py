"""The name check for each language that has one: the names a suggestion reads (Python:
context/names.py), calls and reads of `this` (JavaScript and TypeScript:
context/script_names.py) or calls without a path or receiver (Go, Rust and Java:
context/bare_calls.py) that exist nowhere. Other languages are not checked yet."""

from __future__ import annotations

from pathlib import Path

from tree_sitter import Tree

from codegen_complete.context.bare_calls import BARE_CALL_LANGUAGES, unresolved_bare_calls
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.context.names import Unresolved, unresolved_names
from codegen_complete.context.script_names import SCRIPT_LANGUAGES, unresolved_script_names

CHECKED_LANGUAGES = frozenset({"python"}) | SCRIPT_LANGUAGES | BARE_CALL_LANGUAGES


def unresolved(
    suggestion: str,
    before: str,
    after: str,
    language: LanguageSpec | None,
    path: Path | None,
    root: Path | None,
    tree: Tree | None = None,
) -> list[Unresolved]:
    """The names in `suggestion` (between `before` and `after`) that resolve nowhere; [] for
    a language without a check."""
    if language is None or language.name not in CHECKED_LANGUAGES:
        return []
    if language.name == "python":
        return unresolved_names(suggestion, before, after, path, root, tree)
    if language.name in BARE_CALL_LANGUAGES:
        return unresolved_bare_calls(suggestion, before, after, language, path, tree)
    return unresolved_script_names(suggestion, before, after, language, root, tree)
