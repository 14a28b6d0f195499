"""Functions a suggestion calls, without a path or receiver, that exist nowhere: the name
check of languages where that is decidable (Go, Rust, Java; each room gives its rules).

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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node, Tree

from codegen_complete.context.documents import all_nodes, parse_with
from codegen_complete.context.filecache import FileCache
from codegen_complete.context.languages.naming import NameCheck, Unresolved
from codegen_complete.context.languages.spec import LanguageSpec

WORD = re.compile(r"[A-Za-z_]\w*")
PACKAGE_FILES_MAX = 300  # a folder with more is read only this far
_WORDS_OF_FILE: FileCache[frozenset[str]] = FileCache(limit=1024)


@dataclass(frozen=True)
class BareCallRules:
    """One language's part of the check."""

    predeclared: frozenset[str]  # names the language puts in every scope
    unseen: re.Pattern[str]  # what puts names in scope that cannot be seen from the file
    # The name a node calls without a path or receiver, or None.
    callee: Callable[[Node], Node | None]
    # The names declared beside the file (Go: its package's other files), or None.
    neighbours: Callable[[Path], frozenset[str]] | None = None


def bare_call_check(rules: BareCallRules) -> NameCheck:
    """The name check of a language with these rules (a room's `names.unresolved`)."""
    return functools.partial(_unresolved, rules)


def _unresolved(
    rules: BareCallRules,
    suggestion: str,
    before: str,
    after: str,
    language: LanguageSpec,
    path: Path | None,
    root: Path | None,
    tree: Tree | None = None,
) -> list[Unresolved]:
    """The names `suggestion` (between `before` and `after` of the file at `path`) calls
    without a path, package or receiver and that exist nowhere, in order."""
    if not suggestion.strip() or rules.unseen.search(before) or rules.unseen.search(after):
        return []
    parsed = parse_with(suggestion, before, after, language, tree)
    if parsed is None:
        return []
    called: list[tuple[str, int]] = []
    callees: set[int] = set()
    named: set[str] = set()  # the suggestion's own names that are not calls: it declares them
    for node in all_nodes(parsed.tree.root_node):
        if not parsed.inside(node):
            continue
        if (callee := rules.callee(node)) is not None:
            called.append((parsed.text_of(callee), parsed.offset_of(callee)))
            callees.add(callee.id)
        elif node.type == "identifier" and node.id not in callees:
            named.add(parsed.text_of(node))
    if not called:
        return []
    outside = before + " " + after
    known = set(WORD.findall(outside)) | named | rules.predeclared
    missing = [(name, offset) for name, offset in called if name not in known]
    if missing and rules.neighbours is not None and path is not None:
        beside = rules.neighbours(path)
        missing = [(name, offset) for name, offset in missing if name not in beside]
    return [Unresolved(name, offset) for name, offset in missing]


def call_without_path(node: Node) -> Node | None:
    """The identifier a `call_expression` calls, when it is one (`f(x)`, not `m::f(x)`)."""
    if node.type != "call_expression":
        return None
    function = node.child_by_field_name("function")
    return function if function is not None and function.type == "identifier" else None


def words_beside(path: Path, pattern: str) -> frozenset[str]:
    """Every word of the other files matching `pattern` in `path`'s folder; a file is read
    again only when it changed."""
    current = path.resolve()
    try:
        others = sorted(p for p in current.parent.glob(pattern) if p.resolve() != current)
    except OSError:
        return frozenset()
    words: set[str] = set()
    for other in others[:PACKAGE_FILES_MAX]:
        words |= _WORDS_OF_FILE.get(other, functools.partial(_words_of, other)) or frozenset()
    return frozenset(words)


def _words_of(path: Path) -> frozenset[str]:
    try:
        return frozenset(WORD.findall(path.read_text(errors="replace")))
    except OSError:
        return frozenset()
