"""Java's name check: a method called without a receiver, in a class that extends and
implements nothing, that the file does not declare (context/languages/bare_calls.py)."""

from __future__ import annotations

import re

from tree_sitter import Node

from codegen_complete.context.languages.bare_calls import BareCallRules, bare_call_check

OBJECT_METHODS = frozenset(
    re.findall(r"\w+", "clone equals finalize getClass hashCode notify notifyAll toString wait")
)
# A Java type with a base or an interface may inherit the method.
TYPES = frozenset(
    {"class_declaration", "enum_declaration", "record_declaration", "interface_declaration"}
)


def method_without_receiver(node: Node) -> Node | None:
    """The method `node` calls without a receiver, when every class around it extends and
    implements nothing (else it may be inherited)."""
    if node.type != "method_invocation" or node.child_by_field_name("object") is not None:
        return None
    scope = node.parent
    while scope is not None:
        if scope.type == "object_creation_expression":  # an anonymous class's body
            return None
        if scope.type in TYPES and (
            scope.child_by_field_name("superclass") is not None
            or scope.child_by_field_name("interfaces") is not None
            or any(child.type == "extends_interfaces" for child in scope.children)
        ):
            return None
        scope = scope.parent
    return node.child_by_field_name("name")


RULES = BareCallRules(
    predeclared=OBJECT_METHODS,
    unseen=re.compile(r"(?m)^\s*import\s+static\s+[^;]*\*"),  # a static wildcard import
    callee=method_without_receiver,
)

unresolved = bare_call_check(RULES)
