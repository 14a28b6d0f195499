"""What a Python module binds at its top level, read from its source without running it: a
workspace file, or an installed or standard-library module (found by name, never imported
unless it is compiled into Python itself)."""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node, Tree

from codegen_complete.context import languages
from codegen_complete.context.languages.importing import node_text
from codegen_complete.context.languages.python import PYTHON
from codegen_complete.context.languages.python import imports as python_imports

OBJECT_MEMBERS = frozenset(dir(object)) | {"__dict__", "__slots__", "__weakref__", "__module__"}
# Code that makes a module's names at run time: what its source binds is not all it has.
_DYNAMIC_MODULE = (b"exec(", b"_convert_(", b"sys.modules[__name__]", b"vars()",
                   b"__dict__.update", b"global_enum")  # fmt: skip
# Writing to the module's namespace: `globals()[name] = ...`, `globals().update(...)`, or the
# same through a name (`mod_dict = globals()`, then `mod_dict[key] = ...`). Reading it is fine.
_GLOBALS_ALIAS = re.compile(rb"^\s*(\w+)\s*=\s*globals\(\)", re.MULTILINE)
_GLOBALS_WRITE = rb"\s*(?:\[[^\]\n]*\]\s*=[^=]|\.(?:update|setdefault)\()"
# What every module has besides what it binds.
MODULE_MEMBERS = frozenset({
    "__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__", "__path__",
    "__builtins__", "__all__", "__cached__", "__annotations__", "__warningregistry__",
})  # fmt: skip


@dataclass(frozen=True)
class ParsedFile:
    """A parsed Python file: the current one (with the suggestion) or one it imports."""

    path: Path | None
    data: bytes
    tree: Tree

    def text(self, node: Node | None) -> str:
        return node_text(node)


def assigned_names(source: ParsedFile, left: Node | None) -> Iterator[str]:
    if left is None:
        return
    if left.type == "identifier":
        yield source.text(left)
    elif left.type in ("pattern_list", "tuple_pattern", "list_pattern"):
        for part in left.named_children:
            yield from assigned_names(source, part)


def top_level_names(
    source: ParsedFile, star: Callable[[str], frozenset[str] | None] | None = None
) -> frozenset[str] | None:
    """Every name a module binds at its top level (also under `if`/`try`); None when it
    defines a module `__getattr__`, or imports with `*` from a module whose names `star`
    cannot give (`os` is `from posix import *`: without its names, every `os.<name>` passed),
    or makes names at run time (`globals()[...] = `, an enum's `_convert_`)."""
    if _makes_names_at_run_time(source.data):
        return None
    names: set[str] = set()
    stack = list(source.tree.root_node.named_children)
    while stack:
        node = stack.pop()
        target = node.named_children[-1] if node.type == "decorated_definition" else node
        if target.type in ("function_definition", "class_definition"):
            names.add(source.text(target.child_by_field_name("name")))
        elif target.type == "expression_statement":
            for statement in target.named_children:
                part: Node | None = statement
                while part is not None and part.type == "assignment":  # `a = b = 1` too
                    names.update(assigned_names(source, part.child_by_field_name("left")))
                    part = part.child_by_field_name("right")
        elif target.type in ("import_statement", "import_from_statement"):
            if any(child.type == "wildcard_import" for child in target.children):
                module = source.text(target.child_by_field_name("module_name"))
                starred = star(module) if star is not None and module[:1] != "." else None
                if starred is None:
                    return None
                names |= starred
            else:  # also where imports_of does not look (`with suppress(ImportError):`)
                names.update(_bound_by_import(source, target))
        elif target.type == "future_import_statement":  # binds the feature's name too
            names.update(source.text(n) for n in target.children_by_field_name("name"))
        elif target.type == "for_statement":
            names.update(assigned_names(source, target.child_by_field_name("left")))
            stack.extend(target.named_children)
        elif target.type in (
            "if_statement",
            "while_statement",
            "try_statement",
            "else_clause",
            "elif_clause",
            "except_clause",
            "finally_clause",
            "block",
            "with_statement",
        ):
            stack.extend(target.named_children)  # fmt: skip
    for item in python_imports.imports_of("", source.tree):
        names.add(item.local_name)
    if b"global " in source.data:  # a function's `global x` binds x in the module
        names.update(_global_names(source))
    if "__getattr__" in names:
        return None
    if source.path is not None and source.path.name == "__init__.py":
        folder = source.path.parent  # a package's submodules are its attributes too
        names.update(p.stem for p in folder.glob("*.py"))
        names.update(p.name.split(".")[0] for p in folder.glob("*.so"))  # compiled ones
        names.update(p.name for p in folder.iterdir() if (p / "__init__.py").is_file())
    return frozenset(names) | OBJECT_MEMBERS | MODULE_MEMBERS


def _makes_names_at_run_time(data: bytes) -> bool:
    if any(marker in data for marker in _DYNAMIC_MODULE):
        return True
    if b"globals()" not in data:
        return False
    names = [re.escape(b"globals()")]
    names += [re.escape(match.group(1)) for match in _GLOBALS_ALIAS.finditer(data)]
    return re.search(b"(?:" + b"|".join(names) + b")" + _GLOBALS_WRITE, data) is not None


def _bound_by_import(source: ParsedFile, statement: Node) -> Iterator[str]:
    """The names an import statement binds: `import a.b` binds `a`, `as x` binds `x`."""
    for name in statement.children_by_field_name("name"):
        if name.type == "aliased_import":
            yield source.text(name.child_by_field_name("alias"))
        elif statement.type == "import_statement":
            yield source.text(name).split(".")[0]
        else:
            yield source.text(name)


def _global_names(source: ParsedFile) -> Iterator[str]:
    stack = [source.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "global_statement":
            yield from (source.text(n) for n in node.named_children if n.type == "identifier")
        else:
            stack.extend(node.named_children)


def _is_standard_extension(origin: str) -> bool:
    path = Path(origin)
    return path.parent.name == "lib-dynload" and path.is_relative_to(sys.base_prefix)


# Modules whose names are being read: a star import back into one of them is not followed.
_READING: set[str] = set()


@functools.lru_cache(maxsize=256)
def installed_module_names(module: str) -> frozenset[str] | None:
    """The top-level names of an installed or standard-library module, without running it:
    a module built into the interpreter is imported (it runs no Python code), one with a
    source file is parsed (and the modules it star-imports, the same way). None when
    neither works."""
    if module in _READING:
        return None
    _READING.add(module)
    try:
        return _read_installed(module)
    finally:
        _READING.discard(module)


def _read_installed(module: str) -> frozenset[str] | None:
    if "." in module:  # finding `a.b` imports `a`, running its code
        return None
    if module in sys.builtin_module_names:
        return frozenset(dir(importlib.import_module(module)))
    try:
        spec = importlib.util.find_spec(module)  # a top-level name: nothing is imported
    except (ImportError, ValueError):
        return None
    if spec is not None and spec.origin and _is_standard_extension(spec.origin):
        return frozenset(dir(importlib.import_module(module)))  # `math`: part of Python
    parsed = installed_module_file(module)
    return top_level_names(parsed, star=_star_imported) if parsed is not None else None


@functools.lru_cache(maxsize=32)
def installed_module_file(module: str) -> ParsedFile | None:
    """An installed or standard-library module's source, parsed; None for a dotted name (its
    package would be imported to find it) or a module without Python source."""
    if "." in module:
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    # A frozen standard module (`os`, `codecs` in Python 3.11+) still names its source file.
    origin = getattr(spec.loader_state, "filename", None) if spec.origin == "frozen" else None
    origin = origin or spec.origin
    parser = languages.parser(PYTHON)
    if not origin.endswith(".py") or parser is None:
        return None
    try:
        data = Path(origin).read_bytes()
    except OSError:
        return None
    return ParsedFile(Path(origin), data, parser.parse(data))


def _star_imported(module: str) -> frozenset[str] | None:
    """The names `from module import *` brings into an installed module: none from a module
    this interpreter lacks (`os` star-imports `nt` on Windows, `posix` here), which is never
    the branch that runs."""
    if module not in sys.builtin_module_names and "." not in module:
        try:
            if importlib.util.find_spec(module) is None:
                return frozenset()
        except (ImportError, ValueError):
            return None
    return installed_module_names(module)
