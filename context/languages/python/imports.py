"""Python's imports: which workspace files they point to and what those files define."""

from __future__ import annotations

from pathlib import Path

from tree_sitter import Node, QueryCursor, Tree

from codegen_complete.context import languages
from codegen_complete.context.languages.importing import Definition, Imported, node_text
from codegen_complete.context.languages.python import PYTHON
from codegen_complete.context.workspace import Workspace


def imports_of(source: str, tree: Tree | None = None, path: Path | None = None) -> list[Imported]:
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
        alias = node_text(captures["alias"][0]) if "alias" in captures else None
        if "module" in captures:
            module = node_text(captures["module"][0])
            found.append(Imported(alias or module.split(".")[0], module, None))
        else:
            name = node_text(captures["name"][0])
            found.append(Imported(alias or name, node_text(captures["from"][0]), name))
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
        text = node_text(first.named_children[0]).strip("\"' \n")
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
            lines.append("    " + node_text(child).split("\n", 1)[0])
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
        name = node_text(target.child_by_field_name("name"))
        if target.type == "function_definition":
            found[name] = Definition(path, name, _signature(target, data), order)
        elif target.type == "class_definition":
            found[name] = Definition(path, name, _class_summary(target, data), order)
        elif target.type == "expression_statement" and target.named_children:
            assignment = target.named_children[0]
            left = node_text(assignment.child_by_field_name("left"))
            if assignment.type == "assignment" and left.isupper() and len(node_text(target)) < 200:
                found[left] = Definition(path, left, node_text(target), order)
    return found


def resolve(
    item: Imported, current: Path, workspace: Workspace
) -> tuple[Path | None, list[str] | None]:
    """The file an import points to and the names it takes (None: the whole module)."""
    if item.name is None:
        return resolve_module(item.module, current, workspace), None
    # `from pkg import module` names a submodule; `from module import name` a definition.
    joined = item.module + item.name if item.module.endswith(".") else f"{item.module}.{item.name}"
    submodule = resolve_module(joined, current, workspace)
    if submodule is not None:
        return submodule, None
    return resolve_module(item.module, current, workspace), [item.name]


def package_files(folder: Path) -> list[Path]:
    """Imports here name files, never folders."""
    return []
