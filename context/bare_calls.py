"""Functions a Go, Rust or Java suggestion calls, without a path or receiver, that exist
nowhere.

These languages make it decidable. In Go a bare name is declared in the function, in the
file, in another file of the same package (the same folder), or it is predeclared; nothing
else puts it in scope but a dot import (`import . "fmt"`). In Rust it is declared or `use`d
in the file (a module is a file), or it is in the prelude; nothing else but a glob import
from another module (`use crate::orders::*`; `use super::*` in a file's test module only
brings the file's own names) or a macro that defines items. So a name the suggestion calls
(`validate_order(&o)`, `validateOrder(o)`) that appears nowhere else in the file (nor, in Go,
in another `.go` file of its folder), is not predeclared and is not named by the suggestion
itself (a closure it binds, say), is reported. A file with a dot import, a glob import from
another module or a `macro_rules!` is left alone.

Calls through a path or a package (`strings.Fields`, `Order::new`) and methods
(`o.total()`) are not checked here.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from tree_sitter import Node, Tree

from codegen_complete.context.documents import all_nodes, parse_with
from codegen_complete.context.filecache import FileCache
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.context.names import Unresolved

GO_PREDECLARED = frozenset(
    re.findall(
        r"\w+",
        "append cap clear close complex copy delete imag len make max min new panic print println "
        "real recover bool byte comparable complex64 complex128 error float32 float64 int int8 "
        "int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any iota nil true "
        "false",
    )
)
RUST_PRELUDE = frozenset(
    re.findall(
        r"\w+",
        "Some None Ok Err Box Vec String Option Result Self drop Default From Into ToString "
        "ToOwned Clone Iterator IntoIterator Fn FnMut FnOnce AsRef AsMut PartialEq Eq PartialOrd "
        "Ord Extend Send Sync Sized Drop",
    )
)
PACKAGE_FILES_MAX = 300  # a folder with more is read only this far
_WORD = re.compile(r"[A-Za-z_]\w*")
# What puts names in scope that cannot be seen from the file.
_GO_UNSEEN = re.compile(r'(?m)^\s*(?:import\s+)?\.\s+"')
_JAVA_UNSEEN = re.compile(r"(?m)^\s*import\s+static\s+[^;]*\*")
_RUST_UNSEEN = re.compile(
    r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+(?!(?:super|self)::\*)[^;]*\*|macro_rules!"
)
_WORDS_OF_FILE: FileCache[frozenset[str]] = FileCache(limit=1024)


JAVA_OBJECT_METHODS = frozenset(
    re.findall(r"\w+", "clone equals finalize getClass hashCode notify notifyAll toString wait")
)
PREDECLARED = {"go": GO_PREDECLARED, "rust": RUST_PRELUDE, "java": JAVA_OBJECT_METHODS}
UNSEEN = {"go": _GO_UNSEEN, "rust": _RUST_UNSEEN, "java": _JAVA_UNSEEN}
BARE_CALL_LANGUAGES = frozenset(PREDECLARED)
# A Java type with a base or an interface may inherit the method.
JAVA_TYPES = frozenset(
    {"class_declaration", "enum_declaration", "record_declaration", "interface_declaration"}
)


def unresolved_bare_calls(
    suggestion: str,
    before: str,
    after: str,
    language: LanguageSpec,
    path: Path | None,
    tree: Tree | None = None,
) -> list[Unresolved]:
    """The names `suggestion` (between `before` and `after` of the file at `path`) calls
    without a path, package or receiver and that exist nowhere, in order."""
    go = language.name == "go"
    unseen = UNSEEN[language.name]
    if not suggestion.strip() or unseen.search(before) or unseen.search(after):
        return []
    parsed = parse_with(suggestion, before, after, language, tree)
    if parsed is None:
        return []
    callee_of = _java_callee if language.name == "java" else _callee
    called: list[tuple[str, int]] = []
    callees: set[int] = set()
    named: set[str] = set()  # the suggestion's own names that are not calls: it declares them
    for node in all_nodes(parsed.tree.root_node):
        if not parsed.inside(node):
            continue
        if (callee := callee_of(node)) is not None:
            called.append((parsed.text_of(callee), parsed.offset_of(callee)))
            callees.add(callee.id)
        elif node.type == "identifier" and node.id not in callees:
            named.add(parsed.text_of(node))
    if not called:
        return []
    outside = before + " " + after
    known = set(_WORD.findall(outside)) | named | PREDECLARED[language.name]
    missing = [(name, offset) for name, offset in called if name not in known]
    if missing and go and path is not None:
        package = package_names(path)
        missing = [(name, offset) for name, offset in missing if name not in package]
    return [Unresolved(name, offset) for name, offset in missing]


def _callee(node: Node) -> Node | None:
    """Go and Rust: the name `node` calls without a path."""
    if node.type != "call_expression":
        return None
    function = node.child_by_field_name("function")
    return function if function is not None and function.type == "identifier" else None


def _java_callee(node: Node) -> Node | None:
    """Java: the method `node` calls without a receiver, when every class around it extends
    and implements nothing (else it may be inherited)."""
    if node.type != "method_invocation" or node.child_by_field_name("object") is not None:
        return None
    scope = node.parent
    while scope is not None:
        if scope.type == "object_creation_expression":  # an anonymous class's body
            return None
        if scope.type in JAVA_TYPES and (
            scope.child_by_field_name("superclass") is not None
            or scope.child_by_field_name("interfaces") is not None
            or any(child.type == "extends_interfaces" for child in scope.children)
        ):
            return None
        scope = scope.parent
    return node.child_by_field_name("name")


def package_names(path: Path) -> frozenset[str]:
    """Every word of the other `.go` files in `path`'s folder (its package); a file is read
    again only when it changed."""
    current = path.resolve()
    try:
        others = sorted(p for p in current.parent.glob("*.go") if p.resolve() != current)
    except OSError:
        return frozenset()
    words: set[str] = set()
    for other in others[:PACKAGE_FILES_MAX]:
        words |= _WORDS_OF_FILE.get(other, functools.partial(_words_of, other)) or frozenset()
    return frozenset(words)


def _words_of(path: Path) -> frozenset[str]:
    try:
        return frozenset(_WORD.findall(path.read_text(errors="replace")))
    except OSError:
        return frozenset()
