"""Java imports: classes (`import a.b.Cart;`), packages (`import a.b.*;`), static imports and
the file's own package (its classes need no import) resolved to files under the source root,
which the file's `package` line gives away; what those classes declare, as signatures."""

from __future__ import annotations

from pathlib import Path

from tree_sitter import Node, Tree

from codegen_complete.context import languages
from codegen_complete.context.languages.importing import Definition, Imported, node_text
from codegen_complete.context.languages.java import JAVA
from codegen_complete.context.summaries import MAX_MEMBERS, first_line, signature, with_doc
from codegen_complete.context.workspace import Workspace

TYPES = ("class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
         "annotation_type_declaration")  # fmt: skip
SAME_PACKAGE = "<package>"


def _parse(source: str, tree: Tree | None) -> Tree | None:
    parser = languages.parser(JAVA)
    if tree is None and parser is not None:
        tree = parser.parse(source.encode())
    return tree


def imports_of(source: str, tree: Tree | None = None, path: Path | None = None) -> list[Imported]:
    """Each import; a package import (`.*`) and the file's own package bind no name of their
    own (local name ""), their classes are matched by the names used near the cursor."""
    tree = _parse(source, tree)
    if tree is None:
        return []
    found = [Imported("", SAME_PACKAGE, None)]
    for node in tree.root_node.named_children:
        if node.type != "import_declaration":
            continue
        names = ("scoped_identifier", "identifier")
        name = next((c for c in node.named_children if c.type in names), None)
        parts = node_text(name).split(".")
        if any(child.type == "asterisk" for child in node.children):
            found.append(Imported("", ".".join(parts), None))
        elif any(child.type == "static" for child in node.children) and len(parts) >= 3:
            # `import static a.b.Cart.of;`: `of` is used; Cart's file tells what it is.
            found.append(Imported(parts[-1], ".".join(parts[:-2]), parts[-2]))
        elif len(parts) >= 2:
            found.append(Imported(parts[-1], ".".join(parts[:-1]), parts[-1]))
    return found


def _package_of(source: str) -> str:
    tree = _parse(source, None)
    for node in tree.root_node.named_children if tree is not None else []:
        if node.type == "package_declaration":
            named = next((c for c in node.named_children if "identifier" in c.type), None)
            return node_text(named)
    return ""


def _source_root(current: Path, workspace: Workspace) -> Path | None:
    """The folder packages start from: the file's folder less its package's path."""
    source = workspace.read(current)
    package = _package_of(source) if source is not None else ""
    folder = current.parent
    for part in reversed(package.split(".") if package else []):
        if folder.name != part:
            return None
        folder = folder.parent
    return folder


def resolve(
    item: Imported, current: Path, workspace: Workspace
) -> tuple[Path | None, list[str] | None]:
    if item.module == SAME_PACKAGE:
        return current.parent, None
    root = _source_root(current, workspace)
    if root is None:
        return None, None
    folder = root.joinpath(*item.module.split("."))
    if item.name is None:
        return (folder if folder.is_dir() and workspace.contains(folder) else None), None
    target = folder / f"{item.name}.java"
    if target.is_file() and workspace.allowed(target):
        return target, [item.name]
    return None, None


def package_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.java"))


def _type_summary(node: Node, source: bytes) -> str:
    body = node.child_by_field_name("body")
    lines = [signature(node, body, source) + " {"]
    constants = []
    for member in (body.named_children if body is not None else [])[:MAX_MEMBERS]:
        if member.type == "enum_constant":
            constants.append(node_text(member.child_by_field_name("name")))
        elif member.type in ("method_declaration", "constructor_declaration"):
            lines.append(f"  {signature(member, member.child_by_field_name('body'), source)};")
        elif member.type in ("field_declaration", "constant_declaration"):
            lines.append(f"  {first_line(member)}")
        elif member.type in TYPES:
            lines.append(
                f"  {signature(member, member.child_by_field_name('body'), source)} {{ … }}"
            )
    if constants:
        lines.insert(1, f"  {', '.join(constants)};")
    lines.append("}")
    return "\n".join(lines)


def definitions_of(path: Path, source: str) -> dict[str, Definition]:
    """The file's top-level classes, interfaces, enums and records with their members."""
    tree = _parse(source, None)
    if tree is None:
        return {}
    data = source.encode()
    found = {}
    for order, node in enumerate(tree.root_node.named_children):
        if node.type in TYPES:
            name = node_text(node.child_by_field_name("name"))
            found[name] = Definition(path, name, with_doc(node, _type_summary(node, data)), order)
    return found
