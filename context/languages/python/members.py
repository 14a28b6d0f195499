"""The members of a Python receiver whose type is known: a class's methods, class-level
names, `self.x` assignments and those of its bases; a module's top-level names (a workspace
file or an installed module). None wherever it cannot be decided: the name check
(names.py) then counts an attribute as defined."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from pathlib import Path

from tree_sitter import Node

from codegen_complete.context import languages
from codegen_complete.context.filecache import FileCache
from codegen_complete.context.languages.python import PYTHON
from codegen_complete.context.languages.python import imports as python_imports
from codegen_complete.context.languages.python.modules import (
    OBJECT_MEMBERS,
    ParsedFile,
    assigned_names,
    installed_module_file,
    installed_module_names,
    top_level_names,
)
from codegen_complete.context.workspace import Workspace

# Bases whose members are known without reading them.
PLAIN_BASES = frozenset({"object", "ABC", "Protocol", "Generic"})
BASE_EXTRAS = {
    **dict.fromkeys(("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"), frozenset({"name",
                                                                                  "value"})),
    "NamedTuple": frozenset({"_asdict", "_replace", "_fields", "_make", "count", "index"}),
}  # fmt: skip
DYNAMIC = frozenset({"__getattr__", "__getattribute__"})
MAX_DEPTH = 4  # bases and imports followed


class Resolver:
    """Finds the members of a receiver's class or module, reading imported files as needed."""

    def __init__(self, current: ParsedFile, workspace: Workspace | None) -> None:
        self.current = current
        self.workspace = workspace

    def members_of(self, receiver: Node | None) -> frozenset[str] | None:
        """The names `receiver.<name>` may take, or None when that cannot be known."""
        if receiver is None:
            return None
        if receiver.type == "call":  # Cart(...).total
            function = receiver.child_by_field_name("function")
            if function is None or function.type != "identifier":
                return None
            called = self.current.text(function)
            # super() stands for the bases, not for an instance of the builtin `super`.
            return (
                None if called == "super" else self.class_members(self.current, called, MAX_DEPTH)
            )
        if receiver.type != "identifier":
            return None
        name = self.current.text(receiver)
        module = self.module_members(self.current, name)
        if module is not None:
            return module
        type_name = _type_of(self.current, receiver)
        if type_name is None:
            return None
        return self.class_members(self.current, type_name, MAX_DEPTH)

    def class_members(self, source: ParsedFile, name: str, depth: int) -> frozenset[str] | None:
        builtin = getattr(builtins, name, None)
        found = _find_class(source, name)
        if found is None:
            if isinstance(builtin, type) and _binds_nowhere(source, name):
                return frozenset(dir(builtin))
            imported = self._imported(source, name, depth)
            if imported is None:
                return None
            source, name = imported
            found = _find_class(source, name)
            if found is None:
                return None
        members = set(_class_body_names(source, found))
        if members & DYNAMIC:
            return None
        members |= OBJECT_MEMBERS
        superclasses = found.child_by_field_name("superclasses")
        for base in superclasses.named_children if superclasses is not None else []:
            if base.type == "keyword_argument":  # metaclass=...: anything goes
                return None
            base_name = _simple_name(source.text(base))
            if base_name in PLAIN_BASES:
                continue
            if base_name in BASE_EXTRAS:
                members |= BASE_EXTRAS[base_name]
                continue
            inherited = (
                self.class_members(source, base_name, depth - 1)
                if base_name and depth > 0
                else None
            )
            if inherited is None:
                return None
            members |= inherited
        return frozenset(members)

    def module_members(self, source: ParsedFile, name: str) -> frozenset[str] | None:
        """The top-level names of the module `name` is bound to by an import, when it is one."""
        for item in python_imports.imports_of("", source.tree):
            if item.local_name != name:
                continue
            target = None
            if self.workspace is not None and source.path is not None:
                target, names = python_imports.resolve(item, source.path, self.workspace)
                if names is not None:
                    return None  # a name from a module: a class or value, not a module
            if target is not None:
                module = self._read(target)
                return top_level_names(module) if module is not None else None
            if item.name is None and "." not in item.module:
                return installed_module_names(item.module)
            return None
        return None

    def module_file(self, source: ParsedFile, name: str) -> ParsedFile | None:
        """The module `name` is bound to by an import in `source`, when it is one: a workspace
        file, or an installed module's source."""
        for item in python_imports.imports_of("", source.tree):
            if item.local_name != name:
                continue
            if self.workspace is not None and source.path is not None:
                target, names = python_imports.resolve(item, source.path, self.workspace)
                if names is not None:
                    return None  # a name from a module: a class or value, not a module
                if target is not None:
                    return self._read(target)
            if item.name is None and "." not in item.module:
                return installed_module_file(item.module)
            return None
        return None

    def imported(self, source: ParsedFile, name: str) -> tuple[ParsedFile, str] | None:
        """The file and name that `name` is imported from in `source`: a workspace file, or
        an installed module's source (`from json import dumps`)."""
        found = self._imported(source, name, MAX_DEPTH)
        if found is not None:
            return found
        for item in python_imports.imports_of("", source.tree):
            if item.local_name == name and item.name is not None and item.module[:1] != ".":
                module = installed_module_file(item.module)
                return (module, item.name) if module is not None else None
        return None

    def _imported(self, source: ParsedFile, name: str, depth: int) -> tuple[ParsedFile, str] | None:
        """The workspace file and name that `name` is imported as in `source`."""
        if self.workspace is None or source.path is None or depth <= 0:
            return None
        for item in python_imports.imports_of("", source.tree):
            if item.local_name != name or item.name is None:
                continue
            target, names = python_imports.resolve(item, source.path, self.workspace)
            module = self._read(target) if target is not None and names else None
            if module is not None and names:
                return module, names[0]
        return None

    def _read(self, path: Path) -> ParsedFile | None:
        """A workspace file, parsed; cached while its size and modification time stay."""
        workspace = self.workspace
        if workspace is None:
            return None

        def parse() -> ParsedFile | None:
            text, parser = workspace.read(path), languages.parser(PYTHON)
            if text is None or parser is None:
                return None
            data = text.encode()
            return ParsedFile(path, data, parser.parse(data))

        return _PARSED.get(path, parse)


# Parsed files cost ~0.3 MB each (the tree more than the text): 256 of them held 80+ MB, and
# the name check reads a few per open file (its imports and their bases).
_PARSED: FileCache[ParsedFile | None] = FileCache(limit=64)


def _simple_name(annotation: str) -> str:
    """`Cart`, `Optional[Cart]`, `Cart | None`, `"Cart"`, `list[Item]`, `models.Cart` → the
    class named, or "" when the annotation names several or none."""
    text = annotation.strip().strip("\"'")
    for wrapper in ("Optional[", "typing.Optional["):
        if text.startswith(wrapper) and text.endswith("]"):
            text = text[len(wrapper) : -1]
    parts = [p.strip() for p in text.split("|") if p.strip() != "None"]
    if len(parts) != 1:
        return ""
    text = parts[0].split("[", 1)[0]
    text = text.rsplit(".", 1)[-1]
    return text if text.isidentifier() else ""


def _enclosing(node: Node, kinds: tuple[str, ...]) -> Node | None:
    parent = node.parent
    while parent is not None and parent.type not in kinds:
        parent = parent.parent
    return parent


def _type_of(source: ParsedFile, receiver: Node) -> str | None:
    """The class a name refers to an instance of, where the code says so; None otherwise."""
    name = source.text(receiver)
    function = _enclosing(receiver, ("function_definition", "lambda"))
    if function is not None and function.type == "function_definition":
        if name in ("self", "cls"):
            owner = _enclosing(function, ("class_definition", "function_definition"))
            if owner is not None and owner.type == "class_definition":
                return source.text(owner.child_by_field_name("name"))
            return None
        annotated = _parameter_annotation(source, function, name)
        if annotated is not None:
            return _simple_name(annotated) or None
    scope = function.child_by_field_name("body") if function is not None else source.tree.root_node
    return _assigned_class(source, scope, name, receiver.start_byte) if scope else None


def _parameter_annotation(source: ParsedFile, function: Node, name: str) -> str | None:
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters is not None else []:
        if parameter.type in ("typed_parameter", "typed_default_parameter"):
            named = parameter.child_by_field_name("name") or next(
                (c for c in parameter.named_children if c.type == "identifier"), None
            )
            if source.text(named) == name:
                return source.text(parameter.child_by_field_name("type"))
        elif (
            source.text(parameter) == name
            or source.text(parameter.child_by_field_name("name")) == name
        ):
            return ""  # a parameter without annotation: its type is unknown
    return None


def _assigned_class(source: ParsedFile, scope: Node, name: str, before: int) -> str | None:
    """The class of `name` when every assignment to it in `scope` before `before` is
    `name = Class(...)` or `name: Class = ...` of one class."""
    classes = set()
    stack = list(scope.named_children)
    while stack:
        node = stack.pop()
        if node.start_byte >= before or node.type in ("function_definition", "class_definition"):
            continue
        if node.type == "assignment" and source.text(node.child_by_field_name("left")) == name:
            annotation = node.child_by_field_name("type")
            value = node.child_by_field_name("right")
            if annotation is not None:
                classes.add(_simple_name(source.text(annotation)))
            elif value is not None and value.type == "call":
                function = value.child_by_field_name("function")
                classes.add(source.text(function) if function is not None and
                            function.type == "identifier" else "")  # fmt: skip
            else:
                classes.add("")
        stack.extend(node.named_children)
    if len(classes) != 1 or "" in classes:
        return None
    found = classes.pop()
    return found if found[:1].isupper() else None  # a factory function returns anything


def _find_class(source: ParsedFile, name: str) -> Node | None:
    for node in source.tree.root_node.named_children:
        target = node.named_children[-1] if node.type == "decorated_definition" else node
        if (
            target.type == "class_definition"
            and source.text(target.child_by_field_name("name")) == name
        ):
            return target
    return None


def _binds_nowhere(source: ParsedFile, name: str) -> bool:
    """Whether the file leaves a builtin's name alone (no class, function or import of it)."""
    names = top_level_names(source)
    return names is not None and name not in names


def _class_body_names(source: ParsedFile, node: Node) -> Iterator[str]:
    body = node.child_by_field_name("body")
    for child in body.named_children if body is not None else []:
        target = child.named_children[-1] if child.type == "decorated_definition" else child
        if target.type in ("function_definition", "class_definition"):
            yield source.text(target.child_by_field_name("name"))
        elif target.type == "expression_statement":
            for part in target.named_children:
                if part.type == "assignment":
                    yield from assigned_names(source, part.child_by_field_name("left"))
    # `self.x = ...` anywhere in the methods
    stack = list(body.named_children) if body is not None else []
    while stack:
        child = stack.pop()
        if child.type == "assignment":
            left = child.child_by_field_name("left")
            # `self.x = ...`, also unpacked: `self.a, self.b = pair`
            targets = [left] if left is not None and left.type == "attribute" else []
            if left is not None and left.type in ("pattern_list", "tuple_pattern"):
                targets = [t for t in left.named_children if t.type == "attribute"]
            for target in targets:
                if source.text(target.child_by_field_name("object")) in ("self", "cls"):
                    yield source.text(target.child_by_field_name("attribute"))
        stack.extend(child.named_children)
