"""JavaScript's and TypeScript's part of the missing import (checks/missing_imports.py):
which names a module reads and never declares, what another file's line imports, and the line
to offer. A path another file imports (`../errors.js`) is rewritten from the current file."""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tree_sitter import Node, Tree

from codegen_complete.context.languages.importing import ImportSource, Listing, node_text
from codegen_complete.context.languages.javascript.names import GLOBALS, ambient_names
from codegen_complete.context.languages.javascript.scopes import declares
from codegen_complete.context.workspace import Workspace

# How far from a member of a multi-line import its `} from "m"` may be.
MEMBER_LINES = 100
# TypeScript's own types, read everywhere and imported from nowhere.
UTILITY_TYPES = frozenset({
    "Awaited", "Capitalize", "ConstructorParameters", "Exclude", "Extract", "InstanceType",
    "Lowercase", "NoInfer", "NonNullable", "Omit", "OmitThisParameter", "Parameters",
    "Partial", "Pick", "Readonly", "ReadonlyArray", "Record", "Required", "ReturnType",
    "ThisParameterType", "ThisType", "Uncapitalize", "Uppercase", "PromiseLike", "ArrayLike",
    "Iterable", "IterableIterator", "AsyncIterable", "AsyncIterableIterator", "Generator",
    "AsyncGenerator", "PropertyKey", "arguments",
})  # fmt: skip
NAMES = frozenset({
    "identifier", "type_identifier", "shorthand_property_identifier",
    "shorthand_property_identifier_pattern",
})  # fmt: skip
# `net.Socket`, `ns.Inner`: the name after the dot is a member, not a name in scope.
QUALIFIED = frozenset({"nested_type_identifier", "nested_identifier"})
JSX_ELEMENTS = frozenset({"jsx_opening_element", "jsx_closing_element", "jsx_self_closing_element"})

_QUOTED = r"""(?P<quote>['"])(?P<specifier>.+?)(?P=quote)"""
_STATEMENT = re.compile(rf"\s*import\s+(type\s+)?(.+?)\s+from\s+{_QUOTED}")
_OPENER = re.compile(r"\s*import\s+(type\s+)?(?:[\w$]+\s*,\s*)?\{\s*$")
_CLOSER = re.compile(rf"\s*}}\s*from\s+{_QUOTED}")
_EXPORTED = re.compile(
    r"^export\s+(?:default\s+)?(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?"
    r"(?:function\*?|class|const|let|var|interface|type|enum|namespace)\s+([\w$]+)",
    re.MULTILINE,
)
_EXPORT_LIST = re.compile(r"^export\s+(?:type\s+)?\{([^}]*)\}(?!\s*from)", re.MULTILINE)
SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".js", ".jsx", ".mjs", ".cjs")
_MEMBER = re.compile(r"\s*(type\s+)?([\w$]+)(?:\s+as\s+([\w$]+))?\s*,?\s*(//.*)?$")
# `import { a, b as c, ` and a name begun after it, then `} from "m"` after the cursor: a
# one-line member list being continued.
_ONE_LINE = re.compile(
    r"\s*import\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?\{\s*"
    r"((?:(?:type\s+)?[\w$]+(?:\s+as\s+[\w$]+)?\s*,\s*)*)([\w$]*)"
)
_ONE_LINE_REST = re.compile(rf"\s*}}\s*from\s+{_QUOTED}\s*;?\s*(//.*)?")


class ScriptRules:
    statements: tuple[str, ...] = ("import_statement",)
    definition_words: tuple[str, ...] = ()  # what a module exports is imported, not guessed

    def could_start(self, typed: str) -> bool:
        word = typed.strip()
        return "import ".startswith(word) or word.startswith("import ")

    def member_module(self, statement: Node, position: int) -> str | None:
        """`import {` ... `} from "m"`: the members are between the braces."""
        clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
        source = statement.child_by_field_name("source")
        if clause is None or source is None:
            return None
        for named in clause.named_children:
            if named.type == "named_imports" and named.start_byte < position < named.end_byte:
                return node_text(source)[1:-1]
        return None

    def one_line_members(self, typed: str, rest: str) -> Listing | None:
        match, closing = _ONE_LINE.fullmatch(typed), _ONE_LINE_REST.fullmatch(rest)
        if match is None or closing is None:
            return None
        listed = tuple(member.split()[-1] for member in match.group(1).split(",") if member.strip())
        separator = "" if typed.endswith(" ") else " "
        return Listing(closing.group("specifier"), listed, match.group(2), separator)

    def member_order(self, names: list[str]) -> list[str]:
        return sorted(names)

    def may_precede_imports(self, node: Node) -> bool:
        if node.type in ("comment", "hash_bang_line"):
            return True
        # "use strict" and other directives
        return node.type == "expression_statement" and all(
            child.type == "string" for child in node.named_children
        )

    def unbound_names(self, tree: Tree, root: Path) -> list[str]:
        """[] for a classic script: it shares its globals with the page's other scripts."""
        module = any(
            child.type in ("import_statement", "export_statement")
            for child in tree.root_node.named_children
        )
        if not module:
            return []
        reads: list[str] = []
        declared: set[str] = set()
        for node in _names(tree.root_node):
            name, parent = node_text(node), node.parent
            assert parent is not None
            if declares(parent, node):
                declared.add(name)
            elif parent.type in QUALIFIED and parent.child_by_field_name("module") != node:
                continue
            elif not (parent.type in JSX_ELEMENTS and name[:1].islower()):
                reads.append(name)
        unbound = [
            name for name in dict.fromkeys(reads)
            if name not in declared and name not in GLOBALS and name not in UTILITY_TYPES
        ]  # fmt: skip
        if unbound:
            ambient = ambient_names(root)
            unbound = [name for name in unbound if name not in ambient]
        return unbound

    def source_on_line(
        self, lines: list[str], number: int, name: str, path: str, root: Path
    ) -> ImportSource | None:
        line = lines[number]
        if statement := _STATEMENT.match(line):
            kind = _kind_in_clause(statement.group(2), name)
            if kind is None:
                return None
            kind = "type" if statement.group(1) and kind == "named" else kind
            module = self.absolute(statement["specifier"], path, root)
            return ImportSource(module, kind, statement["quote"])
        member = _MEMBER.match(line)
        if member is None or (member.group(3) or member.group(2)) != name or member.group(3):
            return None
        return self._multi_line_source(lines, number, path, root)

    def _multi_line_source(
        self, lines: list[str], number: int, path: str, root: Path
    ) -> ImportSource | None:
        """The module of the member at line `number` of a multi-line `import {`."""
        opener = None
        for above in range(number - 1, max(-1, number - MEMBER_LINES), -1):
            if opener := _OPENER.match(lines[above]):
                break
            if not _MEMBER.match(lines[above]):
                return None
        if opener is None:
            return None
        for below in range(number + 1, min(len(lines), number + MEMBER_LINES)):
            if closer := _CLOSER.match(lines[below]):
                kind = "type" if opener.group(1) else "named"
                return ImportSource(
                    self.absolute(closer["specifier"], path, root), kind, closer["quote"]
                )
            if not _MEMBER.match(lines[below]):
                return None
        return None

    def definition_on_line(
        self, line: str, name: str, path: str, root: Path
    ) -> ImportSource | None:
        return None

    def exports(self, module: str, root: Path) -> frozenset[str]:
        return _exports(module, root)

    def fallback(self, name: str) -> ImportSource | None:
        return None

    def absolute(self, written: str, current: str, root: Path) -> str:
        """A relative specifier (`../errors.js`) as a path from the workspace root, starting
        with "/"; a package's (`@openai/agents-core`) as it is."""
        if not written.startswith("."):
            return written
        return "/" + posixpath.normpath(posixpath.join(posixpath.dirname(current), written))

    def statement(
        self,
        names: list[str],
        sources: dict[str, Counter[ImportSource]],
        text: str,
        tree: Tree,
        current: str,
        root: Path,
    ) -> str | None:
        """`import { a, b } from "m";` (or the default or namespace import) for the first
        name with a source, in the quotes and with the semicolons of the file's imports."""
        for name in names:
            if not sources[name]:
                continue
            source = sources[name].most_common(1)[0][0]
            specifier = _relative_to(source.module, current)
            quote, end = _style(tree)
            quote = source.style or quote  # as the project writes this very import
            tail = f" from {quote}{specifier}{quote}{end}"
            if source.kind == "default":
                return f"import {name}{tail}"
            if source.kind == "namespace":
                return f"import * as {name}{tail}"
            exported = _exports(source.module, root)
            together = [
                other for other in names
                if source in sources[other] or (not sources[other] and other in exported)
            ]  # fmt: skip
            if _sorts_members(tree):
                together.sort()
            keyword = "import type" if source.kind == "type" else "import"
            return f"{keyword} {{ {', '.join(together)} }}{tail}"
        return None


def _names(root: Node) -> Iterator[Node]:
    """The name nodes of a module, in order, but for re-exports (`export {a} from "m"`
    names what another module has)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "export_statement" and node.child_by_field_name("source") is not None:
            continue
        if node.type in NAMES and node.parent is not None:
            yield node
        stack.extend(reversed(node.children))


def _kind_in_clause(clause: str, name: str) -> str | None:
    """How an import clause (`a, { b as c, type d }`, `* as ns`) binds `name`, if it does."""
    if namespace := re.fullmatch(r"\*\s+as\s+([\w$]+)", clause.strip()):
        return "namespace" if namespace.group(1) == name else None
    default, _, braces = clause.partition("{")
    if default.strip().rstrip(",").strip() == name:
        return "default"
    for member in braces.rstrip("} ").split(","):
        words = member.split()
        if words[:1] == ["type"]:
            words = words[1:]
        if words == [name]:
            return "named"
    return None


def _exports(module: str, root: Path) -> frozenset[str]:
    """The names the workspace file of `module` (a path from the root, "/src/cart") exports;
    none for a package."""
    if not module.startswith("/"):
        return frozenset()
    base = root / module[1:]
    stem = base.with_suffix("") if base.suffix in SOURCE_SUFFIXES else base
    candidates = [base, *(Path(f"{stem}{suffix}") for suffix in SOURCE_SUFFIXES)]
    candidates += [base / f"index{suffix}" for suffix in SOURCE_SUFFIXES]
    for candidate in candidates:
        if candidate.is_file() and (text := Workspace(root).read(candidate)) is not None:
            names = _EXPORTED.findall(text)
            for listed in _EXPORT_LIST.findall(text):
                names += [item.split()[-1] for item in listed.split(",") if item.split()]
            return frozenset(names)
    return frozenset()


def _relative_to(module: str, current: str) -> str:
    """A module as the file at `current` imports it: packages as they are, workspace paths
    relative to its folder."""
    if not module.startswith("/"):
        return module
    relative = posixpath.relpath(module[1:], posixpath.dirname(current) or ".")
    return relative if relative.startswith("../") else "./" + relative


def _style(tree: Tree) -> tuple[str, str]:
    """The quote and the statement end (";" or "") of the file's first import; without
    one, the quote of its first string."""
    for child in tree.root_node.named_children:
        if child.type == "import_statement":
            source = child.child_by_field_name("source")
            quote = node_text(source)[:1] if source is not None else "'"
            return quote, ";" if node_text(child).rstrip().endswith(";") else ""
    first_string = next((n for n in _strings(tree.root_node)), None)
    return (node_text(first_string)[:1] if first_string is not None else "'"), ";"


def _strings(root: Node) -> Iterator[Node]:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "string" and node.is_named:  # not the `string` type's keyword
            yield node
        else:
            stack.extend(reversed(node.children))


def _sorts_members(tree: Tree) -> bool:
    """Whether the file's imports of several names list them in sorted order, as editors'
    "organize imports" do; so they are when the file has no such import to follow."""
    lists = [
        [node_text(s.child_by_field_name("name")) for s in named.named_children]
        for statement in tree.root_node.named_children
        if statement.type == "import_statement"
        for clause in statement.named_children
        if clause.type == "import_clause"
        for named in clause.named_children
        if named.type == "named_imports"
    ]
    several = [names for names in lists if len(names) > 1]
    return all(names == sorted(names) for names in several)


RULES = ScriptRules()
