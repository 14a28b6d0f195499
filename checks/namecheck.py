"""The name check: the names a suggestion uses that exist nowhere, by the rules of its
language's room (`names.py` there: context/languages/); a language without one is not
checked."""

from __future__ import annotations

from pathlib import Path

from tree_sitter import Tree

from codegen_complete.context import languages
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.context.languages.naming import Unresolved


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
    check = languages.name_check(language) if language is not None else None
    if language is None or check is None:
        return []
    return check(suggestion, before, after, language, path, root, tree)
