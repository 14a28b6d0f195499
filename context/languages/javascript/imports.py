"""JavaScript and TypeScript imports: which workspace files they point to and what those files
define.

Covers ES `import` (default, named, namespace), `require` (bound or destructured), paths
relative to the file with or without their extension (`./cart`, `./cart.js` naming
`cart.ts`), folders through their `index` file, names re-exported by such files
(`export {Cart} from "./cart"`, `export * from "./cart"`), and bare specifiers mapped by the
nearest `tsconfig.json` or `jsconfig.json` (`baseUrl`, `paths`, following a relative `extends`).
Bare specifiers that map nowhere are packages (node_modules), which are not read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tree_sitter import Node, QueryCursor, Tree

from codegen_complete.context import languages
from codegen_complete.context.filecache import FileCache
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.context.languages.importing import Definition, Imported, node_text
from codegen_complete.context.languages.javascript import SPECS, TYPESCRIPT
from codegen_complete.context.summaries import MAX_MEMBERS, doc_line, short_text, signature
from codegen_complete.context.workspace import Workspace

# Tried in this order after the specifier as written: TypeScript sources before the
# JavaScript they compile to, declarations last but one.
EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
# An import of the compiled name (`./cart.js`) means the TypeScript source where there is one.
COMPILED_FROM = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
CONFIGS = ("tsconfig.json", "jsconfig.json")
# How many `extends` and re-export hops are followed: real projects need one or two.
MAX_HOPS = 4
IMPORT_STATEMENTS = ("import_statement", "lexical_declaration", "variable_declaration",
                     "export_statement")  # fmt: skip


def _spec(path: Path | None, tree: Tree | None = None) -> LanguageSpec | None:
    if tree is not None:
        for spec in SPECS:
            if languages.grammar(spec) == tree.language:
                return spec
    found = languages.detect(path) if path is not None else None
    return found if found in SPECS else TYPESCRIPT


def _parse(source: str, path: Path | None, tree: Tree | None) -> tuple[LanguageSpec, Tree] | None:
    spec = _spec(path, tree)
    if spec is None:
        return None
    if tree is None:
        parser = languages.parser(spec)
        if parser is None:
            return None
        tree = parser.parse(source.encode())
    return spec, tree


def _matches(spec: LanguageSpec, tree: Tree) -> Iterator[dict[str, list[Node]]]:
    query = languages.query(spec, "imports")
    if query is None:
        return
    # Imports sit at the top level: querying those statements rather than the whole tree keeps
    # this fast in long files.
    for node in tree.root_node.named_children:
        if node.type in IMPORT_STATEMENTS:
            for _, captures in QueryCursor(query).matches(node):
                yield captures


def imports_of(source: str, tree: Tree | None = None, path: Path | None = None) -> list[Imported]:
    """The file's imports; pass the document's tree when there is one (no re-parse)."""
    parsed = _parse(source, path, tree)
    if parsed is None:
        return []
    found: list[Imported] = []
    for captures in _matches(*parsed):
        module = node_text(captures["source"][0])
        if "import" in captures:
            found += _es_import(captures["import"][0], module)
        elif "require" in captures:
            found += _required(captures["binding"][0], module)
    return found


def _es_import(statement: Node, module: str) -> list[Imported]:
    clause = next((c for c in statement.named_children if c.type == "import_clause"), None)
    found = []
    for child in clause.named_children if clause is not None else []:
        if child.type == "identifier":  # import Cart from "./cart"
            found.append(Imported(node_text(child), module, "default"))
        elif child.type == "namespace_import":  # import * as shop from "./shop"
            found += [Imported(node_text(n), module, None) for n in child.named_children]
        elif child.type == "named_imports":  # import {Cart, total as sum} from "./cart"
            for specifier in child.named_children:
                name = node_text(specifier.child_by_field_name("name"))
                alias = node_text(specifier.child_by_field_name("alias"))
                if name:
                    found.append(Imported(alias or name, module, name))
    return found


def _required(binding: Node, module: str) -> list[Imported]:
    if binding.type == "identifier":  # const shop = require("./shop")
        return [Imported(node_text(binding), module, None)]
    found = []
    for child in binding.named_children if binding.type == "object_pattern" else []:
        if child.type == "shorthand_property_identifier_pattern":  # const {Cart} = require(..)
            found.append(Imported(node_text(child), module, node_text(child)))
        elif child.type == "pair_pattern":  # const {Cart: Basket} = require(..)
            key, value = child.child_by_field_name("key"), child.child_by_field_name("value")
            if value is not None and value.type == "identifier":
                found.append(Imported(node_text(value), module, node_text(key)))
    return found


# --- where a specifier points ---------------------------------------------------------------


@dataclass(frozen=True)
class PathMapping:
    """`compilerOptions.baseUrl` and `paths` of a tsconfig.json / jsconfig.json."""

    base_url: Path | None
    paths: tuple[tuple[str, tuple[str, ...]], ...]  # pattern → targets, longest prefix first
    paths_base: Path  # what `paths` targets are relative to


_CONFIGS: FileCache[PathMapping | None] = FileCache()
_JSONC_NOISE = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.S)


def _read_jsonc(path: Path, workspace: Workspace) -> dict[str, Any] | None:
    """A tsconfig's JSON, which may hold comments and trailing commas."""
    text = workspace.read(path)
    if text is None:
        return None
    cleaned = _JSONC_NOISE.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    try:
        data = json.loads(cleaned)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _compiler_options(config: Path, workspace: Workspace) -> tuple[dict[str, Any], dict[str, Path]]:
    """The merged compilerOptions of `config` and what it extends (relative paths only), and
    for baseUrl and paths the folder of the file that set them."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    current: Path | None = config
    while current is not None and len(chain) < MAX_HOPS:
        data = _read_jsonc(current, workspace)
        if data is None:
            break
        chain.append((current, data))
        parent = data.get("extends")
        current = None
        if isinstance(parent, str) and parent.startswith("."):
            candidate = (chain[-1][0].parent / parent).resolve()
            for option in (candidate, candidate.with_name(candidate.name + ".json")):
                if option.is_file() and workspace.allowed(option):
                    current = option
                    break
    options: dict[str, Any] = {}
    origins: dict[str, Path] = {}
    for source, data in reversed(chain):  # the extended file first, then what overrides it
        compiler = data.get("compilerOptions")
        if isinstance(compiler, dict):
            options.update(compiler)
            origins.update({key: source.parent for key in compiler})
    return options, origins


def _mapping(config: Path, workspace: Workspace) -> PathMapping | None:
    return _CONFIGS.get(config, lambda: _read_mapping(config, workspace))


def _read_mapping(config: Path, workspace: Workspace) -> PathMapping | None:
    options, origins = _compiler_options(config, workspace)
    base_url = options.get("baseUrl")
    base = (origins["baseUrl"] / base_url).resolve() if isinstance(base_url, str) else None
    raw_paths = options.get("paths") if isinstance(options.get("paths"), dict) else {}
    paths = sorted(
        (
            (pattern, tuple(t for t in targets if isinstance(t, str)))
            for pattern, targets in (raw_paths or {}).items()
            if isinstance(targets, list)
        ),
        key=lambda entry: -len(entry[0].split("*", 1)[0]),
    )
    paths_base = base or origins.get("paths", config.parent)
    return PathMapping(base, tuple(paths), paths_base) if base or paths else None


def _nearest_mapping(current: Path, workspace: Workspace) -> PathMapping | None:
    folder = current.parent
    while workspace.contains(folder):
        for name in CONFIGS:
            if (folder / name).is_file():
                return _mapping(folder / name, workspace)
        if folder == workspace.root or folder.parent == folder:
            break
        folder = folder.parent
    return None


def _bases(specifier: str, current: Path, workspace: Workspace) -> list[Path]:
    """Where a specifier may point, before extensions are tried."""
    if specifier in (".", "..") or specifier.startswith(("./", "../")):
        return [current.parent / specifier]
    if specifier.startswith("/") or ":" in specifier:  # absolute, or `node:fs`
        return []
    mapping = _nearest_mapping(current, workspace)
    if mapping is None:
        return []
    bases = []
    for pattern, targets in mapping.paths:
        prefix, star, suffix = pattern.partition("*")
        if star and specifier.startswith(prefix) and specifier.endswith(suffix):
            matched = specifier[len(prefix) : len(specifier) - len(suffix)]
            bases += [mapping.paths_base / t.replace("*", matched) for t in targets]
        elif not star and specifier == pattern:
            bases += [mapping.paths_base / t for t in targets]
    if mapping.base_url is not None:
        bases.append(mapping.base_url / specifier)
    return bases


def _candidates(base: Path) -> Iterator[Path]:
    yield base
    for compiled in COMPILED_FROM.get(base.suffix, ()):
        yield base.with_suffix(compiled)
    for extension in EXTENSIONS:
        yield base.with_name(base.name + extension)
    for extension in EXTENSIONS:
        yield base / f"index{extension}"


def resolve_specifier(specifier: str, current: Path, workspace: Workspace) -> Path | None:
    """The workspace file an import specifier names, or None (a package, or nothing)."""
    for base in _bases(specifier, current, workspace):
        for candidate in _candidates(base):
            if candidate.is_file() and workspace.allowed(candidate):
                return candidate.resolve()
    return None


_EXPORTS: FileCache[tuple[frozenset[str], tuple[Reexport, ...]]] = FileCache()


@dataclass(frozen=True)
class Reexport:
    module: str
    names: dict[str, str] | None  # exported name → name in `module`; None: `export *`


def _exports(path: Path, workspace: Workspace) -> tuple[frozenset[str], tuple[Reexport, ...]]:
    """The names a file declares at its top level, and what it re-exports from elsewhere."""
    found = _EXPORTS.get(path, lambda: _read_exports(path, workspace))
    return found if found is not None else (frozenset(), ())


def _read_exports(path: Path, workspace: Workspace) -> tuple[frozenset[str], tuple[Reexport, ...]]:
    source = workspace.read(path)
    parsed = _parse(source, path, None) if source is not None else None
    declared = frozenset(definitions_of(path, source)) if source is not None else frozenset()
    reexports = []
    for captures in _matches(*parsed) if parsed is not None else []:
        if "reexport" not in captures:
            continue
        clause = next(
            (c for c in captures["reexport"][0].named_children if c.type == "export_clause"), None
        )
        names = None
        if clause is not None:
            names = {}
            for specifier in clause.named_children:
                name = node_text(specifier.child_by_field_name("name"))
                alias = node_text(specifier.child_by_field_name("alias"))
                names[alias or name] = name
        reexports.append(Reexport(node_text(captures["source"][0]), names))
    return declared, tuple(reexports)


def _defining_file(path: Path, name: str, workspace: Workspace) -> tuple[Path, str]:
    """Follow re-exports (an `index.ts` gathering a folder's names) to the file that defines
    `name`, and its name there."""
    for _ in range(MAX_HOPS):
        declared, reexports = _exports(path, workspace)
        if name in declared:
            break
        for reexport in reexports:
            if reexport.names is not None and name not in reexport.names:
                continue
            target = resolve_specifier(reexport.module, path, workspace)
            if target is None:
                continue
            original = reexport.names[name] if reexport.names is not None else name
            if reexport.names is None and name not in _exports(target, workspace)[0]:
                continue  # `export *` from a file that does not have it either
            path, name = target, original
            break
        else:
            break
    return path, name


def resolve(
    item: Imported, current: Path, workspace: Workspace
) -> tuple[Path | None, list[str] | None]:
    """The file an import points to and the names it takes (None: the whole module)."""
    target = resolve_specifier(item.module, current, workspace)
    if target is None or item.name is None:
        return target, None
    target, name = _defining_file(target, item.name, workspace)
    return target, [name]


# --- what a file defines --------------------------------------------------------------------


def _function_summary(start: Node, declaration: Node, source: bytes) -> str:
    body = declaration.child_by_field_name("body")
    header = signature(start, body, source)
    return f"{header} {{ … }}" if body is not None else header


def _class_summary(start: Node, declaration: Node, source: bytes) -> str:
    body = declaration.child_by_field_name("body")
    lines = [signature(start, body, source) + " {"]
    members = body.named_children if body is not None else []
    for member in members[:MAX_MEMBERS]:
        if member.type == "method_definition":
            lines.append(f"  {signature(member, member.child_by_field_name('body'), source)};")
        elif member.type in ("field_definition", "public_field_definition",
                             "abstract_method_signature", "method_signature",
                             "property_signature"):  # fmt: skip
            lines.append("  " + node_text(member).split("\n", 1)[0].rstrip(";") + ";")
    if len(members) > MAX_MEMBERS:
        lines.append("  // …")
    lines.append("}")
    return "\n".join(lines)


def _variable_summaries(start: Node, declaration: Node, source: bytes) -> list[tuple[str, str]]:
    """(name, summary) of each `const name = ...`: a function value as its signature, a short
    value whole, a long one as its name and type."""
    keyword = source[start.start_byte : declaration.start_byte].decode(errors="replace")
    keyword += node_text(declaration.children[0]) if declaration.children else "const"
    found = []
    for declarator in declaration.named_children:
        if declarator.type != "variable_declarator":
            continue
        name_node, value = (
            declarator.child_by_field_name("name"),
            declarator.child_by_field_name("value"),
        )
        if name_node is None or name_node.type != "identifier":
            continue
        if value is not None and value.type in ("arrow_function", "function_expression",
                                                 "function"):  # fmt: skip
            text = f"{keyword} {signature(declarator, value.child_by_field_name('body'), source)} …"
        elif len(node_text(declarator)) <= 120 and "\n" not in node_text(declarator):
            text = f"{keyword} {node_text(declarator)};"
        else:
            end = value.start_byte if value is not None else declarator.end_byte
            head = source[declarator.start_byte : end].decode(errors="replace").rstrip()
            text = f"{keyword} {head} …;"
        found.append((node_text(name_node), text))
    return found


def _declared(start: Node, declaration: Node, source: bytes) -> list[tuple[str, str]]:
    """(name, summary) of the names one top-level declaration introduces."""
    kind = declaration.type
    name = node_text(declaration.child_by_field_name("name"))
    if kind in ("function_declaration", "generator_function_declaration", "function_signature"):
        return [(name, _function_summary(start, declaration, source))] if name else []
    if kind in ("class_declaration", "abstract_class_declaration", "class"):
        return [(name, _class_summary(start, declaration, source))] if name else []
    if kind in ("interface_declaration", "type_alias_declaration", "enum_declaration"):
        return [(name, short_text(start, declaration, source))] if name else []
    if kind in ("lexical_declaration", "variable_declaration"):
        return _variable_summaries(start, declaration, source)
    if kind == "ambient_declaration":  # `declare function f(): T;` in a .d.ts
        inner = declaration.named_children[0] if declaration.named_children else None
        return _declared(start, inner, source) if inner is not None else []
    return []


def definitions_of(path: Path, source: str) -> dict[str, Definition]:
    """Top-level functions, classes, constants and types of a file, by name; the default
    export also as "default"."""
    parsed = _parse(source, path, None)
    if parsed is None:
        return {}
    _, tree = parsed
    data = source.encode()
    found: dict[str, Definition] = {}
    default_name = None
    for order, node in enumerate(tree.root_node.named_children):
        declaration: Node | None = node
        is_default = False
        if node.type == "export_statement":
            is_default = any(child.type == "default" for child in node.children)
            declaration = node.child_by_field_name("declaration") or node.child_by_field_name(
                "value"
            )
        if declaration is None:
            continue
        if is_default and declaration.type == "identifier":  # export default Cart;
            default_name = node_text(declaration)
            continue
        doc = doc_line(node)
        for name, summary in _declared(node, declaration, data):
            text = f"/** {doc} */\n{summary}" if doc else summary
            found[name] = Definition(path, name, text, order)
            if is_default:
                found["default"] = found[name]
    if default_name in found:
        found["default"] = found[default_name]
    return found


def package_files(folder: Path) -> list[Path]:
    """Imports here name files, never folders."""
    return []
