"""Names a suggestion reads that are defined nowhere: the check before a suggestion is shown.

A code model invents names: `cart.total()` where only `Item` has `total`, `cart.owners` where
the field is `owner`. For each name a Python suggestion reads, this looks for its definition:
a bare name in the file (anywhere outside the suggestion, or bound by the suggestion itself)
or among Python's builtins; an attribute among the members of its receiver's class or module,
when that receiver's type is known; a keyword argument among the callee's parameters, when its
definition can be read (signatures.py). A receiver's type is known from a parameter's annotation,
an assignment from a constructor call in the same scope, or `self`/`cls` in a method; a class's
members are its methods, class-level names, `self.x` assignments and those of its bases
(members.py).

Only a name proven missing is reported. Whatever cannot be decided counts as defined: an
attribute of a value of unknown type, a class with a base from outside what can be read or
with `__getattr__`, a module with a star import, a file with a star import (for bare names).
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterator
from pathlib import Path

from tree_sitter import Node, QueryCursor, Tree

from codegen_complete.context import languages
from codegen_complete.context.documents import with_insertion
from codegen_complete.context.languages.importing import node_text
from codegen_complete.context.languages.naming import Unresolved
from codegen_complete.context.languages.python import PYTHON
from codegen_complete.context.languages.python.members import Resolver
from codegen_complete.context.languages.python.modules import ParsedFile
from codegen_complete.context.languages.python.signatures import keywords_of
from codegen_complete.context.languages.spec import LanguageSpec
from codegen_complete.context.workspace import Workspace

# A member being written at the end of the text: `cart.` or `cart.to`.
MEMBER_AT_END = re.compile(r"(?<=[\w)\]])\.([A-Za-z_]\w*)?$")
BUILTIN_NAMES = (
    frozenset(dir(builtins))
    | frozenset(keyword.kwlist)
    | frozenset(keyword.softkwlist)
    | {"__name__", "__file__", "__doc__", "__spec__", "__package__", "__builtins__"}
)


def unresolved(
    suggestion: str,
    before: str,
    after: str,
    language: LanguageSpec,
    path: Path | None,
    root: Path | None,
    tree: Tree | None = None,
) -> list[Unresolved]:
    """The names `suggestion` (inserted between `before` and `after`) reads that exist nowhere,
    in the order they appear. `tree`: the document's (before + after), re-parsed only where the
    suggestion goes."""
    parser = languages.parser(PYTHON)
    if parser is None or not suggestion.strip():
        return []
    data = (before + suggestion + after).encode()
    start = len(before.encode())
    end = start + len(suggestion.encode())
    if tree is not None:
        tree = with_insertion(parser, tree, before + after, len(before), suggestion)
    current = ParsedFile(path, data, tree or parser.parse(data))
    workspace = Workspace(root) if root is not None else None
    resolver = Resolver(current, workspace)
    bound = _definition_sites(current.tree, start, end)
    names_outside, set_outside = _outside(current.tree, start, end)
    known = names_outside | {current.text(n) for n in bound}
    star_import = any(
        node.type == "import_from_statement" and any(c.type == "wildcard_import" for c in
                                                      node.children)
        for node in current.tree.root_node.named_children
    )  # fmt: skip
    found = []
    for node in _nodes_in(current.tree.root_node, start, end):
        if node.type == "attribute":
            attribute = node.child_by_field_name("attribute")
            if attribute is None or attribute.start_byte < start or attribute.end_byte > end:
                continue
            members = resolver.members_of(node.child_by_field_name("object"))
            name = current.text(attribute)
            if members is not None and name not in members and name not in set_outside:
                found.append(_at(attribute, data, start))
        elif node.type == "keyword_argument":
            keyword = node.child_by_field_name("name")
            call = node.parent.parent if node.parent is not None else None
            if keyword is None or keyword.start_byte < start or keyword.end_byte > end:
                continue
            if call is None or call.type != "call" or _inside_error(node):
                continue
            accepted = keywords_of(resolver, call)
            if accepted is not None and current.text(keyword) not in accepted:
                found.append(_at(keyword, data, start))
        elif (
            node.type == "identifier"
            and not star_import
            and _is_read(node, bound)
            and not _inside_error(node)
        ):
            name = current.text(node)
            if name not in known and name not in BUILTIN_NAMES:
                found.append(_at(node, data, start))
    return found


def _at(node: Node, data: bytes, start: int) -> Unresolved:
    offset = len(data[start : max(start, node.start_byte)].decode(errors="replace"))
    return Unresolved(node_text(node), offset)


def _nodes_in(node: Node, start: int, end: int) -> Iterator[Node]:
    """Nodes overlapping the byte range [start, end), depth first."""
    for child in node.children:
        if child.end_byte > start and child.start_byte < end:
            yield child
            yield from _nodes_in(child, start, end)


def _definition_sites(tree: Tree, start: int, end: int) -> list[Node]:
    query = languages.query(PYTHON, "definitions")
    if query is None:
        return []
    cursor = QueryCursor(query)
    cursor.set_byte_range(start, end)
    return [node for nodes in cursor.captures(tree.root_node).values() for node in nodes]


def _outside(tree: Tree, start: int, end: int) -> tuple[set[str], set[str]]:
    """In one walk of the file, outside the suggestion: every identifier, and the attribute
    names assigned to (`obj.extra = ...`: objects get attributes their class never names)."""
    names, assigned = set(), set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        outside = node.end_byte <= start or node.start_byte >= end
        if node.type == "identifier" and outside:
            names.add(node_text(node))
        elif node.type == "assignment" and outside:
            left = node.child_by_field_name("left")
            if left is not None and left.type == "attribute":
                assigned.add(node_text(left.child_by_field_name("attribute")))
        stack.extend(node.children)
    return names, assigned


def _inside_error(node: Node) -> bool:
    """Whether the parser could not place the node, or it sits in a `case` pattern (which
    binds names as often as it reads them): what it does there is not decided here."""
    parent = node.parent
    while parent is not None:
        if parent.type in ("ERROR", "case_pattern"):
            return True
        parent = parent.parent
    return False


def _is_read(node: Node, bound: list[Node]) -> bool:
    parent = node.parent
    if parent is not None and parent.type == "attribute":
        # `x.name`: the name is checked as an attribute; only the receiver `x` is read here.
        return parent.child_by_field_name("object") == node
    return not any(node == site for site in bound)


def members_at(
    before: str,
    after: str,
    language: LanguageSpec,
    path: Path | None,
    root: Path | None,
    tree: Tree | None = None,
) -> frozenset[str] | None:
    """The names the member written at the cursor (`cart.|`, `cart.to|`) may take: the
    members of its receiver's class or module and the attribute names the file assigns, as
    the name check counts them. None where the cursor is not at a member, the member may be
    one being assigned, or its receiver's members cannot be known."""
    parser = languages.parser(PYTHON)
    written = MEMBER_AT_END.search(before)
    if parser is None or written is None:
        return None
    # A member with nothing typed yet does not parse: a stand-in name makes it an attribute.
    filler = "" if written.group(1) else "_"
    if tree is not None:
        tree = with_insertion(parser, tree, before + after, len(before), filler)
    data = (before + filler + after).encode()
    current = ParsedFile(path, data, tree or parser.parse(data))
    cursor = len(before.encode()) + len(filler)
    name = current.tree.root_node.descendant_for_byte_range(cursor - 1, cursor)
    attribute = name.parent if name is not None else None
    if (
        name is None
        or attribute is None
        or attribute.type != "attribute"
        or attribute.child_by_field_name("attribute") != name
        or name.end_byte != cursor
        # A member that begins a statement may be one being assigned, which its class need
        # not have yet (`self.total = 0` in `__init__`): the name check lets that pass.
        or (attribute.parent is not None and attribute.parent.type == "expression_statement")
    ):
        return None
    workspace = Workspace(root) if root is not None else None
    members = Resolver(current, workspace).members_of(attribute.child_by_field_name("object"))
    if members is None:
        return None
    query = languages.query(PYTHON, "assigned_attributes")
    captured = QueryCursor(query).captures(current.tree.root_node) if query is not None else {}
    assigned = {node_text(node) for nodes in captured.values() for node in nodes if node != name}
    return members | assigned
