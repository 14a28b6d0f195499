"""The registry is the only seam between the shared code and a language: a toy language (JSON
files that import each other's keys), added as a room in a folder outside the product and
registered, is detected, parsed, classified, given cross-file context and name-checked by
code that never names it."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from codegen_complete.checks.namecheck import unresolved
from codegen_complete.context import languages
from codegen_complete.context.classify import Mode, classify
from codegen_complete.context.crossfile import imported_definitions
from codegen_complete.context.documents import Document
from codegen_complete.context.workspace import Workspace

pytest.importorskip("tree_sitter_json")  # a dev dependency: the toy's grammar

ROOM_INIT = """
from pathlib import Path

from codegen_complete.context.languages.spec import LanguageSpec

TOY = LanguageSpec(
    "toy", (".toy",), ("toy",), "tree_sitter_json", "language", "//", "{",
    room=__name__, queries=Path(__file__).with_name("queries"),
)
SPECS = (TOY,)
"""
# A file's `"$import": {"Name": "./other.toy"}` imports the key Name of the other file; every
# other top-level key is a definition.
ROOM_IMPORTS = """
from pathlib import Path

from tree_sitter import Node, Tree

from codegen_complete.context import languages
from codegen_complete.context.languages.importing import Definition, Imported, node_text
from codegen_complete.context.workspace import Workspace
from toyroom import TOY


def _pairs(tree: Tree) -> list[tuple[str, Node]]:
    top = tree.root_node.named_children
    if not top or top[0].type != "object":
        return []
    pairs = [child for child in top[0].named_children if child.type == "pair"]
    return [(node_text(pair.child_by_field_name("key")).strip('"'), pair) for pair in pairs]


def _tree(source: str, tree: Tree | None) -> Tree:
    return tree or languages.parser(TOY).parse(source.encode())


def imports_of(source: str, tree: Tree | None = None, path: Path | None = None) -> list[Imported]:
    found = []
    for key, pair in _pairs(_tree(source, tree)):
        value = pair.child_by_field_name("value")
        if key == "$import" and value is not None and value.type == "object":
            for item in value.named_children:
                name = node_text(item.child_by_field_name("key")).strip('"')
                module = node_text(item.child_by_field_name("value")).strip('"')
                found.append(Imported(name, module, name))
    return found


def resolve(item: Imported, current: Path, workspace: Workspace):
    target = (current.parent / item.module).resolve()
    return (target if target.is_file() and workspace.allowed(target) else None), [item.name]


def definitions_of(path: Path, source: str) -> dict[str, Definition]:
    return {
        key: Definition(path, key, node_text(pair), order)
        for order, (key, pair) in enumerate(_pairs(_tree(source, None)))
        if key != "$import"
    }


def package_files(folder: Path) -> list[Path]:
    return []
"""
# A suggestion's `{"$ref": "Name"}` must name a key of the file (imported or its own).
ROOM_NAMES = """
import re

from codegen_complete.context.languages.naming import Unresolved

REF = re.compile(r'"[$]ref":\\s*"(\\w+)"')
KEY = re.compile(r'"(\\w+)"\\s*:')


def unresolved(suggestion, before, after, language, path, root, tree=None):
    known = set(KEY.findall(before + suggestion + after))
    return [Unresolved(m.group(1), m.start(1)) for m in REF.finditer(suggestion)
            if m.group(1) not in known]
"""
LITERALS = "(string) @string\n"
PRICES = '{\n  "Price": {"amount": 0, "currency": "EUR"},\n  "Tax": 0.2\n}\n'
CART = '{\n  "$import": {"Price": "./prices.toy"},\n  "total": \n}\n'


@pytest.fixture()
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    room = tmp_path / "rooms" / "toyroom"
    (room / "queries").mkdir(parents=True)
    (room / "__init__.py").write_text(ROOM_INIT)
    (room / "imports.py").write_text(ROOM_IMPORTS)
    (room / "names.py").write_text(ROOM_NAMES)
    (room / "queries" / "literals.scm").write_text(LITERALS)
    monkeypatch.syspath_prepend(str(tmp_path / "rooms"))
    for name in ("SPECS", "_BY_EXTENSION", "_BY_LSP_ID"):  # restored after the test
        value = getattr(languages, name)
        monkeypatch.setattr(languages, name, value.copy() if isinstance(value, dict) else value)
    module = importlib.import_module("toyroom")
    languages.register(module)
    yield module
    for name in list(sys.modules):
        if name == "toyroom" or name.startswith("toyroom."):
            del sys.modules[name]


def test_a_registered_room_is_used_by_the_shared_code(toy: ModuleType, tmp_path: Path) -> None:
    spec = toy.TOY
    assert languages.detect("cart.toy") is spec
    assert languages.detect(lsp_id="toy") is spec
    project = tmp_path / "project"
    project.mkdir()
    (project / "prices.toy").write_text(PRICES)
    (project / "cart.toy").write_text(CART)

    # Parsed with its grammar, and its queries read: the cursor in a string is left alone.
    document = Document.open(CART, "cart.toy")
    assert document.spec is spec and document.tree is not None
    inside_string = CART.index("./prices") + 2
    assert classify(document, inside_string).mode is Mode.SKIP
    assert classify(document, CART.index('"total": ') + 9).mode is Mode.SINGLE_LINE

    # Its import rules give the cross-file context: the definition of what the file imports.
    cursor = CART.index('"total": ') + 9
    found = imported_definitions(CART, cursor, project / "cart.toy", Workspace(project))
    assert [(d.path.name, d.name) for d in found] == [("prices.toy", "Price")]
    assert '"currency": "EUR"' in found[0].summary

    # Its name check runs on suggestions in its files.
    before, after = CART[:cursor], CART[cursor:]
    check = [u.name for u in unresolved('{"$ref": "Discount"}', before, after, spec,
                                        project / "cart.toy", project)]  # fmt: skip
    assert check == ["Discount"]
    assert unresolved('{"$ref": "Price"}', before, after, spec, None, project) == []


def test_an_unregistered_language_is_plain_text() -> None:
    assert languages.detect("cart.toy") is None
    document = Document.open(CART, "cart.toy")
    assert document.tree is None
    assert unresolved('{"$ref": "Discount"}', CART, "", None, None, None) == []
