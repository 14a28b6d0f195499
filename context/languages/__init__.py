"""The languages: one room (a package here) per language or family of languages, and this
registry, the only place that lists them.

A room holds everything the project knows of its language: `SPECS` in its `__init__.py` (the
grammar wheel, extensions, LSP ids, comment syntax: context/languages/spec.py), its tree-sitter
queries in `queries/`, and what it can do, each an optional module found by its name:

- `imports.py`: what the file imports and what the imported files define (ImportRules,
  context/languages/importing.py), for the cross-file context;
- `names.py`: `unresolved`, the names a suggestion uses that resolve nowhere (NameCheck,
  context/languages/naming.py), for the name check; and optionally `members_at`, the names a
  member written at the cursor may take (MemberNames), which the model then chooses among;
- `missing_imports.py`: `RULES`, the import statements and bindings the missing-import answer
  needs (MissingImportRules, context/languages/importing.py).

Adding a language is adding its room and one line below. A file of an unknown language is
still completed, as plain text, without a tree.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
from pathlib import PurePath
from types import ModuleType

from codegen_complete.context.languages.importing import ImportRules, MissingImportRules
from codegen_complete.context.languages.naming import MemberNames, NameCheck
from codegen_complete.context.languages.spec import LanguageSpec, grammar, parser, query

# The rooms, one line each: packages of this one.
ROOMS = (
    "python",
    "javascript",  # and TypeScript, TSX
    "go",
    "rust",
    "java",
    "c",  # and C++
)
__all__ = ["SPECS", "LanguageSpec", "detect", "grammar", "parser", "query", "register"]

SPECS: tuple[LanguageSpec, ...] = ()
_BY_EXTENSION: dict[str, LanguageSpec] = {}
_BY_LSP_ID: dict[str, LanguageSpec] = {}


def register(room: ModuleType) -> None:
    """Add the languages of a room (its `SPECS`): files with their extensions and documents
    with their LSP ids are theirs from now on."""
    global SPECS
    SPECS = (*SPECS, *room.SPECS)
    for spec in room.SPECS:
        _BY_EXTENSION.update(dict.fromkeys(spec.extensions, spec))
        _BY_LSP_ID.update(dict.fromkeys(spec.lsp_ids, spec))


for _room in ROOMS:
    register(importlib.import_module(f"{__name__}.{_room}"))


def detect(path: str | PurePath | None = None, lsp_id: str | None = None) -> LanguageSpec | None:
    """The language of a document: its LSP language id first, else its file extension."""
    if lsp_id and lsp_id in _BY_LSP_ID:
        return _BY_LSP_ID[lsp_id]
    if path is not None:
        return _BY_EXTENSION.get(PurePath(path).suffix.lower())
    return None


@functools.cache
def _part(room: str, name: str) -> ModuleType | None:
    """The room's module `name`, imported on first use; None when the room has none."""
    module = f"{room}.{name}"
    return importlib.import_module(module) if importlib.util.find_spec(module) else None


def import_rules(spec: LanguageSpec) -> ImportRules | None:
    """The language's import rules (the room's `imports` module), or None."""
    module: ImportRules | None = _part(spec.room, "imports")  # it implements the protocol
    return module


def name_check(spec: LanguageSpec) -> NameCheck | None:
    """The language's name check, or None when it has none."""
    module = _part(spec.room, "names")
    return getattr(module, "unresolved", None)


def member_names(spec: LanguageSpec) -> MemberNames | None:
    """What the language knows of the member written at the cursor, or None."""
    module = _part(spec.room, "names")
    return getattr(module, "members_at", None)


def missing_import_rules(spec: LanguageSpec) -> MissingImportRules | None:
    """The language's rules for the import a file is missing, or None."""
    module = _part(spec.room, "missing_imports")
    return getattr(module, "RULES", None)
