"""Definitions from other workspace files that the current file imports.

For the names imported near the cursor, the prompt gets their signatures: functions with
their first doc line, classes with their fields and method signatures, constants and types.
Each language's rules (what an import is, where it points, what a file defines) are in its
own module; this one ranks what they find.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tree_sitter import Tree

from codegen_complete.context import languages
from codegen_complete.context.documents import lines_above
from codegen_complete.context.filecache import FileCache
from codegen_complete.context.languages.importing import Definition, ImportRules
from codegen_complete.context.workspace import Workspace

IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
# Lines around the cursor whose names rank the imported definitions.
NEARBY_LINES = 40


def rules_for(path: Path) -> ImportRules | None:
    spec = languages.detect(path)
    return languages.import_rules(spec) if spec is not None else None


def nearby_names(text: str, offset: int) -> Counter[str]:
    """Identifiers in the lines around the cursor (more above it than below)."""
    start = lines_above(text, offset, NEARBY_LINES)
    end = offset
    for _ in range(NEARBY_LINES // 2):
        end = text.find("\n", end + 1)
        if end == -1:
            end = len(text)
            break
    return Counter(IDENTIFIER.findall(text, start, end))


# Definitions per file, re-read only when the file's size or modification time changes: the
# index that keeps context gathering within milliseconds while typing.
_INDEX: FileCache[dict[str, Definition]] = FileCache()


def indexed_definitions(path: Path, workspace: Workspace) -> dict[str, Definition]:
    def read() -> dict[str, Definition]:
        rules, source = rules_for(path), workspace.read(path)
        return rules.definitions_of(path, source) if rules and source is not None else {}

    definitions = _INDEX.get(path, read)
    return definitions if definitions is not None else {}


def _package_definitions(
    folder: Path, current: Path, rules: ImportRules, workspace: Workspace
) -> dict[str, Definition]:
    """The definitions of every file of a package that is a folder (Go, Java), but the current
    file's own."""
    found: dict[str, Definition] = {}
    for path in rules.package_files(folder):
        if path.resolve() != current.resolve() and workspace.allowed(path):
            for name, definition in indexed_definitions(path, workspace).items():
                found.setdefault(name, definition)
    return found


def imported_definitions(
    text: str, offset: int, path: Path, workspace: Workspace, tree: Tree | None = None
) -> list[Definition]:
    """Definitions of the names the file imports from the workspace, most used near the
    cursor first (then in import order). `tree` is the document's current tree, if any."""
    rules = rules_for(path)
    if rules is None:
        return []
    uses = nearby_names(text, offset)
    ranked: list[tuple[int, int, Definition]] = []
    for rank, item in enumerate(rules.imports_of(text, tree, path)):
        target, names = rules.resolve(item, path, workspace)
        if target is None or target.resolve() == path.resolve():
            continue
        definitions = (
            _package_definitions(target, path, rules, workspace)
            if target.is_dir()
            else indexed_definitions(target, workspace)
        )
        if names is None:  # a module: the attributes used near the cursor (`module.attr`)
            # A Java package or a C header binds no name (""): its names alone decide.
            if item.local_name and not uses[item.local_name]:
                continue
            names = [name for name in definitions if uses[name]]
            ranked += [(-uses[name], rank, definitions[name]) for name in names]
        else:
            ranked += [
                (-uses[item.local_name], rank, definitions[n]) for n in names if n in definitions
            ]
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    ordered: list[Definition] = []
    seen: set[tuple[Path, str]] = set()
    for _, _, definition in ranked:
        if (definition.path, definition.name) not in seen:
            seen.add((definition.path, definition.name))
            ordered.append(definition)
    return ordered
