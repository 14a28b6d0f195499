"""Functions a Go suggestion calls that exist nowhere.

Go makes this decidable: a bare name is declared in the function, in the file, in another
file of the same package (the same folder), or it is one of the language's predeclared
identifiers; nothing else puts it in scope, except a dot import (`import . "fmt"`). So a
name the suggestion calls without a package qualifier (`validateOrder(o)`), that appears
nowhere else in the file, in no other `.go` file of its folder, is not predeclared and is
not declared by the suggestion itself, is reported. A file with a dot import is left alone.

Calls through a package (`strings.Fields`) and methods (`o.Total()`) are not checked here.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from tree_sitter import Tree

from codegen_complete.context.documents import all_nodes, parse_with
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.context.names import Unresolved

PREDECLARED = frozenset(
    re.findall(
        r"\w+",
        "append cap clear close complex copy delete imag len make max min new panic print println "
        "real recover bool byte comparable complex64 complex128 error float32 float64 int int8 "
        "int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any iota nil true "
        "false",
    )
)
PACKAGE_FILES_MAX = 300  # a folder with more is read only this far
PACKAGE_TTL_S = 30.0  # the other files of a package are re-read after this long
_WORD = re.compile(r"[A-Za-z_]\w*")
_DOT_IMPORT = re.compile(rb'(?m)^\s*(?:import\s+)?\.\s+"')
_packages: dict[tuple[Path, Path], tuple[float, frozenset[str]]] = {}


def unresolved_go_calls(
    suggestion: str,
    before: str,
    after: str,
    language: LanguageSpec,
    path: Path | None,
    tree: Tree | None = None,
) -> list[Unresolved]:
    """The names `suggestion` (between `before` and `after` of the file at `path`) calls
    without a package and that exist nowhere, in order."""
    if not suggestion.strip() or _DOT_IMPORT.search((before + after).encode()):
        return []
    parsed = parse_with(suggestion, before, after, language, tree)
    if parsed is None:
        return []
    called: list[tuple[str, int]] = []
    named: set[str] = set()  # the suggestion's own names that are not calls: it declares them
    for node in all_nodes(parsed.tree.root_node):
        if node.type != "identifier" or not parsed.inside(node):
            continue
        parent = node.parent
        if (
            parent is not None
            and parent.type == "call_expression"
            and parent.child_by_field_name("function") == node
        ):
            called.append((parsed.text_of(node), parsed.offset_of(node)))
        else:
            named.add(parsed.text_of(node))
    if not called:
        return []
    outside = before + " " + after
    known = set(_WORD.findall(outside)) | named | PREDECLARED
    missing = [(name, offset) for name, offset in called if name not in known]
    if missing and path is not None:
        package = package_names(path)
        missing = [(name, offset) for name, offset in missing if name not in package]
    return [Unresolved(name, offset) for name, offset in missing]


def package_names(path: Path) -> frozenset[str]:
    """Every word of the other `.go` files in `path`'s folder (its package), re-read after
    PACKAGE_TTL_S."""
    folder = path.resolve().parent
    key = (folder, path.resolve())
    now = time.monotonic()
    cached = _packages.get(key)
    if cached is not None and now - cached[0] < PACKAGE_TTL_S:
        return cached[1]
    words: set[str] = set()
    try:
        others = sorted(p for p in folder.glob("*.go") if p.resolve() != key[1])
    except OSError:
        others = []
    for other in others[:PACKAGE_FILES_MAX]:
        try:
            words.update(_WORD.findall(other.read_text(errors="replace")))
        except OSError:
            continue
    names = frozenset(words)
    _packages[key] = (now, names)
    return names
