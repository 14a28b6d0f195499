"""Definitions from other workspace files that the current file imports (Python).

For the names imported near the cursor, the prompt gets their signatures: functions with
their first docstring line, classes with their fields and method signatures, constants.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node, QueryCursor, Tree

from codegen_complete.context import languages
from codegen_complete.context.workspace import Workspace

PYTHON = next(spec for spec in languages.SPECS if spec.name == "python")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Lines around the cursor whose names rank the imported definitions.
NEARBY_LINES = 40


@dataclass(frozen=True)
class Imported:
    local_name: str  # the name the current file uses
    module: str  # as written: "pkg.mod", ".mod", "."
    name: str | None  # the imported attribute ("x" in `from m import x`), None for `import m`


@dataclass(frozen=True)
class Definition:
    path: Path  # the file that defines it
    name: str
    summary: str  # signature-level source text
    order: int  # position in its file, to keep blocks in file order


def _text(node: Node | None) -> str:
    return node.text.decode(errors="replace") if node is not None and node.text else ""


def imports_of(source: str, tree: Tree | None = None) -> list[Imported]:
    """The file's imports; pass the document's tree when there is one (no re-parse)."""
    parser, query = languages.parser(PYTHON), languages.query(PYTHON, "imports")
    if parser is None or query is None:
        return []
    if tree is None:
        tree = parser.parse(source.encode())
    found = []
    # Imports sit at the top level (also under `if`/`try` there): querying those statements
    # rather than the whole tree keeps this fast in long files.
    statements = [
        node
        for node in tree.root_node.named_children
        if node.type in ("import_statement", "import_from_statement", "if_statement",
                         "try_statement")
    ]  # fmt: skip
    matches = [m for node in statements for m in QueryCursor(query).matches(node)]
    for _, captures in matches:
        alias = _text(captures["alias"][0]) if "alias" in captures else None
        if "module" in captures:
            module = _text(captures["module"][0])
            found.append(Imported(alias or module.split(".")[0], module, None))
        else:
            name = _text(captures["name"][0])
            found.append(Imported(alias or name, _text(captures["from"][0]), name))
    return found


def resolve_module(module: str, current: Path, workspace: Workspace) -> Path | None:
    """The workspace file of a module: relative to `current` for `.x`, else from the root or
    a `src/` layout; a package resolves to its __init__.py."""
    dots = len(module) - len(module.lstrip("."))
    parts = [p for p in module.lstrip(".").split(".") if p]
    if dots:
        base = current.parent
        for _ in range(dots - 1):
            base = base.parent
        bases = [base]
    else:
        bases = [workspace.root, workspace.root / "src", current.parent]
    for base in bases:
        candidate = base.joinpath(*parts)
        options = [candidate.with_suffix(".py")] if parts else []
        for path in [*options, candidate / "__init__.py"]:
            if path.is_file() and workspace.allowed(path):
                return path
    return None


def _docstring_line(body: Node | None) -> str:
    if body is None or not body.named_children:
        return ""
    first = body.named_children[0]
    if (
        first.type == "expression_statement"
        and first.named_children
        and (first.named_children[0].type == "string")
    ):
        text = _text(first.named_children[0]).strip("\"' \n")
        return text.split("\n", 1)[0].strip()
    return ""


def _signature(node: Node, source: bytes, indent: str = "") -> str:
    body = node.child_by_field_name("body")
    end = body.start_byte if body is not None else node.end_byte
    header = source[node.start_byte : end].decode(errors="replace").rstrip()
    doc = _docstring_line(body)
    # A docstring is a body on its own; without one, `...` keeps the stub valid Python.
    return f'{indent}{header}\n{indent}    """{doc}"""' if doc else f"{indent}{header} ..."


def _class_summary(node: Node, source: bytes) -> str:
    lines = [_signature(node, source)]
    body = node.child_by_field_name("body")
    for child in body.named_children if body is not None else []:
        target = child.named_children[0] if child.type == "decorated_definition" else child
        if target.type == "function_definition":
            lines.append(_signature(target, source, "    "))
        elif (
            child.type == "expression_statement"
            and child.named_children
            and (child.named_children[0].type == "assignment")
        ):
            lines.append("    " + _text(child).split("\n", 1)[0])
    return "\n".join(lines)


def definitions_of(path: Path, source: str) -> dict[str, Definition]:
    """Top-level functions, classes and constants of a Python file, by name."""
    parser = languages.parser(PYTHON)
    if parser is None:
        return {}
    data = source.encode()
    found: dict[str, Definition] = {}
    for order, node in enumerate(parser.parse(data).root_node.named_children):
        target = node.named_children[-1] if node.type == "decorated_definition" else node
        name = _text(target.child_by_field_name("name"))
        if target.type == "function_definition":
            found[name] = Definition(path, name, _signature(target, data), order)
        elif target.type == "class_definition":
            found[name] = Definition(path, name, _class_summary(target, data), order)
        elif target.type == "expression_statement" and target.named_children:
            assignment = target.named_children[0]
            left = _text(assignment.child_by_field_name("left"))
            if assignment.type == "assignment" and left.isupper() and len(_text(target)) < 200:
                found[left] = Definition(path, left, _text(target), order)
    return found


def nearby_names(text: str, offset: int) -> Counter[str]:
    """Identifiers in the lines around the cursor (more above it than below)."""
    start = offset
    for _ in range(NEARBY_LINES):
        start = text.rfind("\n", 0, start)
        if start <= 0:
            start = 0
            break
    end = offset
    for _ in range(NEARBY_LINES // 2):
        end = text.find("\n", end + 1)
        if end == -1:
            end = len(text)
            break
    return Counter(IDENTIFIER.findall(text, start, end))


def _resolve_import(
    item: Imported, path: Path, workspace: Workspace
) -> tuple[Path | None, list[str] | None]:
    """The file an import points to and the names it takes (None: the whole module)."""
    if item.name is None:
        return resolve_module(item.module, path, workspace), None
    # `from pkg import module` names a submodule; `from module import name` a definition.
    joined = item.module + item.name if item.module.endswith(".") else f"{item.module}.{item.name}"
    submodule = resolve_module(joined, path, workspace)
    if submodule is not None:
        return submodule, None
    return resolve_module(item.module, path, workspace), [item.name]


# Definitions per file, re-read only when the file's size or modification time changes: the
# index that keeps context gathering within milliseconds while typing.
_INDEX: dict[Path, tuple[tuple[int, int], dict[str, Definition]]] = {}
_INDEX_LIMIT = 4096


def indexed_definitions(path: Path, workspace: Workspace) -> dict[str, Definition]:
    try:
        status = path.stat()
    except OSError:
        return {}
    key = (status.st_size, status.st_mtime_ns)
    cached = _INDEX.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    source = workspace.read(path)
    definitions = definitions_of(path, source) if source is not None else {}
    if len(_INDEX) >= _INDEX_LIMIT:
        _INDEX.pop(next(iter(_INDEX)))
    _INDEX[path] = (key, definitions)
    return definitions


def imported_definitions(
    text: str, offset: int, path: Path, workspace: Workspace, tree: Tree | None = None
) -> list[Definition]:
    """Definitions of the names the file imports from the workspace, most used near the
    cursor first (then in import order). `tree` is the document's current tree, if any."""
    uses = nearby_names(text, offset)
    ranked: list[tuple[int, int, Definition]] = []
    for rank, item in enumerate(imports_of(text, tree)):
        target, names = _resolve_import(item, path, workspace)
        if target is None or target.resolve() == path.resolve():
            continue
        definitions = indexed_definitions(target, workspace)
        if names is None:  # a module: the attributes used near the cursor (`module.attr`)
            if not uses[item.local_name]:
                continue
            names = [name for name in definitions if uses[name]]
            ranked += [(-uses[name], rank, definitions[name]) for name in names]
        else:
            ranked += [
                (-uses[item.local_name], rank, definitions[n]) for n in names if n in definitions
            ]
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    ordered: list[Definition] = []
    seen: set[tuple[Path, str]] = set()
    for _, _, definition in ranked:
        if (definition.path, definition.name) not in seen:
            seen.add((definition.path, definition.name))
            ordered.append(definition)
    return ordered
