"""Go imports: packages of the same module (its path in `go.mod`) are folders of the workspace;
what their files define, as signatures. Standard-library and third-party packages are not
read."""

from __future__ import annotations

import re
from pathlib import Path

from tree_sitter import Node, QueryCursor, Tree

from codegen_complete.context import languages
from codegen_complete.context.languages.go import GO
from codegen_complete.context.languages.importing import Definition, Imported, node_text
from codegen_complete.context.summaries import MAX_MEMBERS, short_text, signature, with_doc
from codegen_complete.context.workspace import Workspace

MODULE_LINE = re.compile(r"^module\s+(\S+)", re.M)


def imports_of(source: str, tree: Tree | None = None, path: Path | None = None) -> list[Imported]:
    """`import "example.com/app/models"` binds `models`; `m "..."` binds `m`. Blank (`_`) and
    dot imports bind no qualifier and are left out."""
    parser, query = languages.parser(GO), languages.query(GO, "imports")
    if parser is None or query is None:
        return []
    if tree is None:
        tree = parser.parse(source.encode())
    found = []
    for node in tree.root_node.named_children:
        if node.type != "import_declaration":
            continue
        for _, captures in QueryCursor(query).matches(node):
            module = node_text(captures["path"][0])
            alias = node_text(captures["alias"][0]) if "alias" in captures else ""
            if alias in ("_", "."):
                continue
            found.append(Imported(alias or module.rsplit("/", 1)[-1], module, None))
    return found


def _module(current: Path, workspace: Workspace) -> tuple[Path, str] | None:
    """The folder of the nearest go.mod above `current` and the module path it declares."""
    folder = current.parent
    while workspace.contains(folder):
        text = workspace.read(folder / "go.mod") if (folder / "go.mod").is_file() else None
        if text is not None and (match := MODULE_LINE.search(text)):
            return folder, match.group(1)
        if folder == workspace.root or folder.parent == folder:
            break
        folder = folder.parent
    return None


def resolve(
    item: Imported, current: Path, workspace: Workspace
) -> tuple[Path | None, list[str] | None]:
    """The package's folder (a package is every .go file in it), or None outside the module."""
    module = _module(current, workspace)
    if module is None:
        return None, None
    root, name = module
    if item.module != name and not item.module.startswith(name + "/"):
        return None, None
    folder = root.joinpath(*item.module[len(name) :].strip("/").split("/"))
    return (folder if folder.is_dir() and workspace.contains(folder) else None), None


def package_files(folder: Path) -> list[Path]:
    """The files of a package: its .go files, tests aside."""
    return sorted(p for p in folder.glob("*.go") if not p.name.endswith("_test.go"))


def _type_summary(start: Node, spec: Node, source: bytes) -> str:
    """A struct or interface whole (cut when long), another type its one line."""
    kind = spec.child_by_field_name("type")
    if kind is not None and kind.type in ("struct_type", "interface_type"):
        return short_text(start, spec, source)
    return source[start.start_byte : spec.end_byte].decode(errors="replace").split("\n", 1)[0]


def definitions_of(path: Path, source: str) -> dict[str, Definition]:
    """Functions, methods (under their own name), types, constants and variables."""
    parser = languages.parser(GO)
    if parser is None:
        return {}
    data = source.encode()
    found: dict[str, Definition] = {}

    def add(name: str, summary: str, node: Node, order: int) -> None:
        if name and name not in found:
            found[name] = Definition(path, name, with_doc(node, summary), order)

    for order, node in enumerate(parser.parse(data).root_node.named_children):
        name = node_text(node.child_by_field_name("name"))
        if node.type in ("function_declaration", "method_declaration"):
            add(name, signature(node, node.child_by_field_name("body"), data) + " { … }", node,
                order)  # fmt: skip
        elif node.type == "type_declaration":
            specs = [c for c in node.named_children if c.type in ("type_spec", "type_alias")]
            for spec in specs[:MAX_MEMBERS]:
                start = node if len(specs) == 1 else spec
                add(node_text(spec.child_by_field_name("name")),
                    _type_summary(start, spec, data), node, order)  # fmt: skip
        elif node.type in ("const_declaration", "var_declaration"):
            for spec in node.named_children:
                for named in spec.children_by_field_name("name"):
                    add(node_text(named), f"{node.children[0].type} {node_text(spec)}"
                        .split("\n", 1)[0], node, order)  # fmt: skip
    return found
