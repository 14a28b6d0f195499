"""Rust imports: `use crate::`, `super::` and `self::` paths and `mod name;` declarations,
resolved to the crate's module files (`a.rs` or `a/mod.rs` under the folder of the module
that declares them); what those files define, as signatures. Other crates are not read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tree_sitter import Node, Tree

from codegen_complete.context import languages
from codegen_complete.context.languages.importing import Definition, Imported, node_text
from codegen_complete.context.languages.rust import RUST
from codegen_complete.context.summaries import MAX_MEMBERS, first_line, short_text, signature
from codegen_complete.context.summaries import with_doc as _with_doc
from codegen_complete.context.workspace import Workspace

ROOT_FILES = ("lib.rs", "main.rs", "mod.rs")
PATH_STARTS = ("crate", "self", "super")


def _segments(node: Node | None) -> list[str]:
    """`crate::models::cart` → ["crate", "models", "cart"]."""
    if node is None:
        return []
    if node.type == "scoped_identifier":
        return [*_segments(node.child_by_field_name("path")),
                node_text(node.child_by_field_name("name"))]  # fmt: skip
    return [node_text(node)]


def _uses(node: Node, prefix: list[str]) -> Iterator[tuple[list[str], str]]:
    """(full path, local name) for each name a `use` tree brings in; globs are left out."""
    if node.type == "scoped_use_list":
        base = [*prefix, *_segments(node.child_by_field_name("path"))]
        listed = node.child_by_field_name("list")
        for child in listed.named_children if listed is not None else []:
            yield from _uses(child, base)
    elif node.type == "use_list":
        for child in node.named_children:
            yield from _uses(child, prefix)
    elif node.type == "use_as_clause":
        path = [*prefix, *_segments(node.child_by_field_name("path"))]
        yield path, node_text(node.child_by_field_name("alias"))
    elif node.type == "self" and prefix:  # `use crate::models::{self, Cart}`
        yield prefix, prefix[-1]
    elif node.type in ("identifier", "scoped_identifier", "crate", "super"):
        path = [*prefix, *_segments(node)]
        yield path, path[-1]


def imports_of(source: str, tree: Tree | None = None, path: Path | None = None) -> list[Imported]:
    parser = languages.parser(RUST)
    if parser is None:
        return []
    if tree is None:
        tree = parser.parse(source.encode())
    found = []
    for node in tree.root_node.named_children:
        if node.type == "use_declaration":
            argument = node.child_by_field_name("argument")
            for full, local in _uses(argument, []) if argument is not None else []:
                if len(full) >= 2 and full[0] in PATH_STARTS:
                    found.append(Imported(local, "::".join(full[:-1]), full[-1]))
        elif node.type == "mod_item" and node.child_by_field_name("body") is None:
            name = node_text(node.child_by_field_name("name"))  # `mod cart;`: a file
            found.append(Imported(name, "self", name))
    return found


def _crate_source(current: Path, workspace: Workspace) -> Path | None:
    folder = current.parent
    while workspace.contains(folder):
        if (folder / "Cargo.toml").is_file():
            return folder / "src"
        if folder == workspace.root or folder.parent == folder:
            break
        folder = folder.parent
    return None


def _module_file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.rs", folder / name / "mod.rs"):
        if candidate.is_file():
            return candidate
    return None


def _start(head: str, current: Path, workspace: Workspace) -> tuple[Path, Path] | None:
    """The folder holding the child modules of `crate`/`self`/`super`, and that module's file."""
    owns_folder = current.name in ROOT_FILES  # lib.rs, main.rs and mod.rs: their folder
    if head == "crate":
        source = _crate_source(current, workspace)
        roots = [source / name for name in ROOT_FILES[:2]] if source is not None else []
        root_file = next((p for p in roots if p.is_file()), None)
        return (source, root_file) if source is not None and root_file is not None else None
    if head == "self":
        return (current.parent if owns_folder else current.parent / current.stem), current
    folder = current.parent.parent if owns_folder else current.parent  # super
    parent = _module_file(folder.parent, folder.name) or next(
        (folder / name for name in ROOT_FILES if (folder / name).is_file()), None
    )
    return (folder, parent) if parent is not None else None


def resolve(
    item: Imported, current: Path, workspace: Workspace
) -> tuple[Path | None, list[str] | None]:
    """The module file of the path and the item taken from it (None: a module itself)."""
    segments = item.module.split("::")
    assert item.name is not None  # Rust imports always name what they take
    start = _start(segments[0], current, workspace)
    if start is None:
        return None, None
    folder, module = start
    for segment in [*segments[1:], item.name]:
        if segment == "super":
            folder = folder.parent
            continue
        found = _module_file(folder, segment)
        if found is None:  # an item of the module reached so far
            return (module if workspace.allowed(module) else None), [segment]
        folder, module = folder / segment, found
    return (module if workspace.allowed(module) else None), None


def package_files(folder: Path) -> list[Path]:
    """Imports here name files, never folders."""
    return []


def with_doc(node: Node, summary: str) -> str:
    return _with_doc(node, summary, "///")


def _trait_summary(node: Node, source: bytes) -> str:
    body = node.child_by_field_name("body")
    lines = [signature(node, body, source) + " {"]
    for member in (body.named_children if body is not None else [])[:MAX_MEMBERS]:
        if member.type == "function_item":
            lines.append(f"    {signature(member, member.child_by_field_name('body'), source)};")
        elif member.type in ("function_signature_item", "associated_type", "const_item"):
            lines.append(f"    {first_line(member)}")
    lines.append("}")
    return "\n".join(lines)


def definitions_of(path: Path, source: str) -> dict[str, Definition]:
    """Functions, types, traits, constants; the methods of an `impl` join their type's entry."""
    parser = languages.parser(RUST)
    if parser is None:
        return {}
    data = source.encode()
    found: dict[str, Definition] = {}
    for order, node in enumerate(parser.parse(data).root_node.named_children):
        name = node_text(node.child_by_field_name("name"))
        summary = None
        if node.type == "function_item":
            summary = signature(node, node.child_by_field_name("body"), data) + " { … }"
        elif node.type in ("struct_item", "enum_item", "union_item"):
            summary = short_text(node, node, data)
        elif node.type == "trait_item":
            summary = _trait_summary(node, data)
        elif node.type in ("const_item", "static_item", "type_item"):
            summary = first_line(node)
        elif node.type == "impl_item":
            name = node_text(node.child_by_field_name("type")).split("<", 1)[0]
            methods = _trait_summary(node, data)
            if name in found:
                earlier = found[name]
                summary_text = f"{earlier.summary}\n{methods}"
                found[name] = Definition(path, name, summary_text, earlier.order)
                continue
            summary = methods
        if name and summary is not None and name not in found:
            found[name] = Definition(path, name, with_doc(node, summary), order)
    return found
