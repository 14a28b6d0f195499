"""C and C++ includes: `#include "..."` resolved against the including file's folder and the
include folders that `compile_commands.json` gives (`-I`, `-iquote`); what the headers declare,
as signatures. `#include <...>` (system and library headers) is not read."""

from __future__ import annotations

import functools
import json
import shlex
from collections.abc import Iterator
from pathlib import Path

from tree_sitter import Node, Tree

from codegen_complete.context import languages
from codegen_complete.context.filecache import FileCache
from codegen_complete.context.languages.c import CPP, SPECS
from codegen_complete.context.languages.importing import Definition, Imported, node_text
from codegen_complete.context.summaries import first_line, short_text, signature, with_doc
from codegen_complete.context.workspace import Workspace

# Where a compile_commands.json usually is: the root, or a build folder (CMake's).
COMPILE_COMMANDS = ("compile_commands.json", "build/compile_commands.json")
INCLUDE_FLAGS = ("-I", "-iquote", "-isystem")
# Nodes whose children are declarations too: header guards, namespaces, extern "C" blocks.
CONTAINERS = ("preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif", "declaration_list",
              "linkage_specification", "namespace_definition")  # fmt: skip
RECORDS = ("struct_specifier", "class_specifier", "union_specifier", "enum_specifier")


def _spec(path: Path | None) -> languages.LanguageSpec:
    found = languages.detect(path) if path is not None else None
    # A .h file may be either; the C++ grammar reads C headers too.
    if found is None or found not in SPECS or (path is not None and path.suffix == ".h"):
        return CPP
    return found


def _tree(source: str, tree: Tree | None, path: Path | None) -> Tree | None:
    if tree is not None:
        return tree
    parser = languages.parser(_spec(path))
    return parser.parse(source.encode()) if parser is not None else None


def imports_of(source: str, tree: Tree | None = None, path: Path | None = None) -> list[Imported]:
    """Each quoted include; a header binds no name of its own (local name ""): its
    declarations are matched by the names used near the cursor."""
    parsed = _tree(source, tree, path)
    found = []
    for node in _walk(parsed.root_node) if parsed is not None else []:
        if node.type == "preproc_include":
            target = node.child_by_field_name("path")
            if target is not None and target.type == "string_literal":
                found.append(Imported("", node_text(target).strip('"'), None))
    return found


def _walk(node: Node) -> Iterator[Node]:
    """Top-level nodes, looking inside header guards, namespaces and extern blocks."""
    for child in node.named_children:
        if child.type in CONTAINERS:
            body = child.child_by_field_name("body")
            yield from _walk(body if body is not None else child)
        else:
            yield child


_INCLUDE_DIRS: FileCache[tuple[Path, ...]] = FileCache()


def include_dirs(workspace: Workspace) -> tuple[Path, ...]:
    """The include folders named in the workspace's compile_commands.json, if any."""
    for name in COMPILE_COMMANDS:
        path = workspace.root / name
        folders = _INCLUDE_DIRS.get(path, functools.partial(_folders_in, path))
        if folders is not None:
            return folders
    return ()


def _folders_in(path: Path) -> tuple[Path, ...]:
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return ()
    found: dict[Path, None] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        base = path.parent / str(entry.get("directory", "."))  # relative: to the file's folder
        arguments = entry.get("arguments")
        if not isinstance(arguments, list):
            try:
                arguments = shlex.split(str(entry.get("command", "")))
            except ValueError:
                continue
        for index, argument in enumerate(arguments):
            for flag in INCLUDE_FLAGS:
                if argument == flag and index + 1 < len(arguments):
                    found[(base / str(arguments[index + 1])).resolve()] = None
                elif argument.startswith(flag) and len(argument) > len(flag):
                    found[(base / argument[len(flag) :]).resolve()] = None
    return tuple(found)


def resolve(
    item: Imported, current: Path, workspace: Workspace
) -> tuple[Path | None, list[str] | None]:
    for folder in (current.parent, *include_dirs(workspace)):
        candidate = (folder / item.module).resolve()
        if candidate.is_file() and workspace.allowed(candidate):
            return candidate, None
    return None, None


def package_files(folder: Path) -> list[Path]:
    """Includes name files, never folders."""
    return []


def _declared_name(declarator: Node | None) -> str:
    """The name a (function, pointer, reference...) declarator declares."""
    while declarator is not None:
        if declarator.type in (
            "identifier",
            "field_identifier",
            "type_identifier",
            "qualified_identifier",
            "destructor_name",
            "operator_name",
        ):
            return node_text(declarator)  # fmt: skip
        declarator = declarator.child_by_field_name("declarator")
    return ""


def _summaries(node: Node, start: Node, source: bytes) -> Iterator[tuple[str, str]]:
    kind = node.type
    if kind == "template_declaration":
        inner = next((c for c in reversed(node.named_children)), None)
        for name, _ in _summaries(inner, start, source) if inner is not None else []:
            yield name, short_text(start, node, source)
        return
    if kind == "function_definition":
        yield (_declared_name(node.child_by_field_name("declarator")),
               signature(start, node.child_by_field_name("body"), source) + ";")  # fmt: skip
    elif kind in ("declaration", "field_declaration"):
        declarator = node.child_by_field_name("declarator")
        record = node.child_by_field_name("type")
        if record is not None and record.type in RECORDS and record.child_by_field_name("body"):
            yield from _summaries(record, start, source)
        if declarator is not None:  # a function's prototype, or a variable
            yield _declared_name(declarator), first_line(node)
    elif kind in RECORDS and node.child_by_field_name("body") is not None:
        yield node_text(node.child_by_field_name("name")), short_text(start, node, source)
    elif kind == "type_definition":
        declared = _declared_name(node.child_by_field_name("declarator"))
        yield declared, short_text(start, node, source)
    elif kind in ("preproc_def", "preproc_function_def") or kind == "alias_declaration":
        yield node_text(node.child_by_field_name("name")), first_line(node)


def definitions_of(path: Path, source: str) -> dict[str, Definition]:
    """Functions, records (struct, class, union, enum), typedefs, macros and variables declared
    at the top level (also inside header guards, namespaces and extern "C" blocks)."""
    tree = _tree(source, None, path)
    if tree is None:
        return {}
    data = source.encode()
    found: dict[str, Definition] = {}
    for order, node in enumerate(_walk(tree.root_node)):
        for name, summary in _summaries(node, node, data):
            if name and name not in found:
                found[name] = Definition(path, name, with_doc(node, summary), order)
    return found
