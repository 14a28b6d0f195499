"""The name check: the names a suggestion uses that exist nowhere, by the rules of its
language's room (`names.py` there: context/languages/); a language without one is not
checked. The same knowledge before the model writes: the names the member at the cursor may
take (`members_at`), which the model then chooses among."""

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


def members_at(
    before: str,
    after: str,
    language: LanguageSpec | None,
    path: Path | None,
    root: Path | None,
    tree: Tree | None = None,
) -> frozenset[str] | None:
    """The names the member written at the cursor (`cart.|`) may take, by the rules of the
    language's room; None where they are not known (the model then writes freely)."""
    lookup = languages.member_names(language) if language is not None else None
    if language is None or lookup is None:
        return None
    return lookup(before, after, language, path, root, tree)
