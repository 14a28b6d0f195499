"""The keyword arguments a Python call may pass, where the callee's definition can be read:
a function or class of the file, of a workspace module it imports, or of an installed module
(`from m import f`, `m.f`), and a method of the enclosing class (`self.f`).

None wherever that cannot be decided: a `**kwargs` parameter, a decorator that may change the
signature, a class without its own `__init__` (bar a plain dataclass), a definition that is
not found. The name check (names.py) then lets every keyword pass.
"""

from __future__ import annotations

from tree_sitter import Node

from codegen_complete.context.languages.python.members import Resolver
from codegen_complete.context.languages.python.modules import ParsedFile

# Decorators that leave a function's parameters as they are.
KEEP_SIGNATURE = frozenset({
    "staticmethod", "classmethod", "property", "cache", "lru_cache", "cached_property",
    "override", "abstractmethod", "wraps", "final",
})  # fmt: skip


def keywords_of(resolver: Resolver, call: Node) -> frozenset[str] | None:
    """The keyword names `call` may pass, or None when any may be right."""
    current = resolver.current
    function = call.child_by_field_name("function")
    if function is None:
        return None
    if function.type == "identifier":
        name = current.text(function)
        found = _top_level(current, name)
        if found is not None:
            return _accepted(current, found)
        imported = resolver.imported(current, name)
        if imported is not None:
            module, real_name = imported
            found = _top_level(module, real_name)
            return _accepted(module, found) if found is not None else None
        return None
    if function.type != "attribute":
        return None
    receiver = function.child_by_field_name("object")
    attribute = current.text(function.child_by_field_name("attribute"))
    if receiver is None or receiver.type != "identifier":
        return None
    if current.text(receiver) == "self":
        owner = _enclosing_class(function)
        method = _in_body(current, owner, attribute) if owner is not None else None
        return _accepted(current, method, bound=True) if method is not None else None
    file = resolver.module_file(current, current.text(receiver))
    found = _top_level(file, attribute) if file is not None else None
    return _accepted(file, found) if file is not None and found is not None else None


def _accepted(source: ParsedFile, definition: Node, bound: bool = False) -> frozenset[str] | None:
    """The keywords a function or class definition takes (`bound`: a method called on an
    instance; a class's `__init__` is one)."""
    if not _keeps_signature(source, definition):
        return None
    if definition.type == "class_definition":
        init = _in_body(source, definition, "__init__")
        if init is not None:
            return _accepted(source, init, bound=True)
        if _in_body(source, definition, "__new__") is not None:
            return None
        return _dataclass_fields(source, definition)
    parameters = definition.child_by_field_name("parameters")
    if parameters is None:
        return None
    names: list[str] = []
    for parameter in parameters.named_children:
        if parameter.type == "dictionary_splat_pattern" or any(
            child.type == "dictionary_splat_pattern" for child in parameter.named_children
        ):
            return None  # **kwargs: anything goes
        if parameter.type == "identifier":
            names.append(source.text(parameter))
        elif parameter.type in ("default_parameter", "typed_default_parameter"):
            names.append(source.text(parameter.child_by_field_name("name")))
        elif parameter.type == "typed_parameter":
            first = parameter.named_children[0] if parameter.named_children else None
            if first is not None and first.type == "identifier":
                names.append(source.text(first))
    is_static = _has_decorator(source, definition, "staticmethod")
    if bound and names and not is_static:
        names = names[1:]  # self, cls
    return frozenset(names)


def _dataclass_fields(source: ParsedFile, cls: Node) -> frozenset[str] | None:
    """A plain dataclass's fields (no bases, no field left out of `__init__`); else None."""
    if not _has_decorator(source, cls, "dataclass") or cls.child_by_field_name("superclasses"):
        return None
    body = cls.child_by_field_name("body")
    fields: set[str] = set()
    for statement in body.named_children if body is not None else []:
        assignment = statement.named_children[0] if statement.named_children else None
        if statement.type != "expression_statement" or assignment is None:
            continue
        if assignment.type != "assignment" or assignment.child_by_field_name("type") is None:
            continue
        text = source.text(assignment)
        if "ClassVar" in text or "InitVar" in text or "KW_ONLY" in text or "init=False" in text:
            return None  # rarer shapes: not decided here
        fields.add(source.text(assignment.child_by_field_name("left")))
    return frozenset(fields)


def _decorators(source: ParsedFile, definition: Node) -> list[str]:
    """The decorators' names (`functools.lru_cache(maxsize=8)` → `lru_cache`)."""
    parent = definition.parent
    if parent is None or parent.type != "decorated_definition":
        return []
    names = []
    for decorator in parent.named_children:
        if decorator.type == "decorator":
            text = source.text(decorator).lstrip("@").split("(")[0].strip()
            names.append(text.rsplit(".", 1)[-1])
    return names


def _has_decorator(source: ParsedFile, definition: Node, name: str) -> bool:
    return name in _decorators(source, definition)


def _keeps_signature(source: ParsedFile, definition: Node) -> bool:
    if definition.type == "class_definition":
        return all(name in ("dataclass", "final") for name in _decorators(source, definition))
    return all(name in KEEP_SIGNATURE for name in _decorators(source, definition))


def _top_level(source: ParsedFile, name: str) -> Node | None:
    """The module's top-level function or class `name` (the last one: a redefinition wins)."""
    found = None
    for node in source.tree.root_node.named_children:
        target = node.named_children[-1] if node.type == "decorated_definition" else node
        if target.type in ("function_definition", "class_definition") and (
            source.text(target.child_by_field_name("name")) == name
        ):
            found = target
    return found


def _in_body(source: ParsedFile, cls: Node, name: str) -> Node | None:
    body = cls.child_by_field_name("body")
    found = None
    for node in body.named_children if body is not None else []:
        target = node.named_children[-1] if node.type == "decorated_definition" else node
        if target.type == "function_definition" and (
            source.text(target.child_by_field_name("name")) == name
        ):
            found = target
    return found


def _enclosing_class(node: Node) -> Node | None:
    """The class whose method `node` is in (the nearest function's class)."""
    parent = node.parent
    while parent is not None and parent.type != "function_definition":
        parent = parent.parent
    while parent is not None and parent.type != "class_definition":
        parent = parent.parent
    return parent
