"""JavaScript and TypeScript imports: the path forms real projects use, resolved to workspace
files, and what those files define, summarised as signatures."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen_complete.context.crossfile import imported_definitions
from codegen_complete.context.gather import gather_context
from codegen_complete.context.languages.javascript.imports import (
    definitions_of,
    imports_of,
    resolve,
    resolve_specifier,
)
from codegen_complete.context.workspace import Workspace

CART_TS = """import { Item } from "./item";

/** A shopping cart. */
export class Cart {
  private items: Item[] = [];
  owner: string;

  constructor(owner: string) {
    this.owner = owner;
  }

  add(item: Item, quantity = 1): void {
    this.items.push(item);
  }

  total(): number {
    return this.items.reduce((sum, item) => sum + item.price, 0);
  }
}

export const TAX_RATE = 0.2;
export const withTax = (amount: number): number => amount * (1 + TAX_RATE);
export default Cart;
"""

ITEM_TS = """export interface Item {
  name: string;
  price: number;
}

export type Currency = "EUR" | "USD";

export enum Size { Small, Large }

/**
 * Parses an item from a line of text.
 * Accepts "name: price".
 */
export function parseItem(line: string): Item {
  const [name, price] = line.split(":");
  return { name, price: Number(price) };
}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A TypeScript app: src/models gathered by an index file, a `@/` alias in a tsconfig that
    extends a base one (with comments and trailing commas, as tsconfigs have), a JavaScript
    script using require, and a package under node_modules."""
    files = {
        "tsconfig.base.json": '{\n  // shared\n  "compilerOptions": {\n    "baseUrl": ".",\n'
        '    "paths": { "@/*": ["src/*"], "config": ["src/config.ts"], },\n  },\n}\n',
        "tsconfig.json": '{ "extends": "./tsconfig.base.json", /* app */ "include": ["src"] }\n',
        "src/models/cart.ts": CART_TS,
        "src/models/item.ts": ITEM_TS,
        "src/models/index.ts": 'export { Cart, TAX_RATE as RATE } from "./cart";\n'
        'export * from "./item";\n',
        "src/config.ts": "export const CURRENCY = 'EUR';\n",
        "src/app.ts": 'import Cart, { withTax } from "./models/cart.js";\n'
        'import { Cart as Basket, RATE, parseItem } from "@/models";\n'
        'import * as config from "config";\nimport React from "react";\n\n',
        "scripts/report.js": "const { parseItem: parse } = require('../src/models/item');\n"
        "const models = require('../src/models');\nconst fs = require('node:fs');\n",
        "node_modules/react/index.js": "export default function React() {}\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_every_import_form_is_read() -> None:
    source = (
        'import Cart, { withTax, total as sum } from "./cart";\nimport * as shop from "./shop";\n'
        'import "./polyfill";\nconst { parseItem, Size: S } = require("./item");\n'
        'const util = require("./util");\nexport { Cart } from "./cart";\n'
    )
    found = [(i.local_name, i.module, i.name) for i in imports_of(source, path=Path("a.ts"))]
    assert found == [
        ("Cart", "./cart", "default"),
        ("withTax", "./cart", "withTax"),
        ("sum", "./cart", "total"),
        ("shop", "./shop", None),
        ("parseItem", "./item", "parseItem"),
        ("S", "./item", "Size"),
        ("util", "./util", None),
    ]


def test_specifiers_resolve_as_node_and_typescript_do(project: Path) -> None:
    workspace = Workspace(project)
    app = project / "src/app.ts"
    report = project / "scripts/report.js"
    models = project / "src/models"
    assert resolve_specifier("./models/cart.js", app, workspace) == models / "cart.ts"
    assert resolve_specifier("./models/cart", app, workspace) == models / "cart.ts"
    assert resolve_specifier("./models", app, workspace) == models / "index.ts"
    assert resolve_specifier("@/models", app, workspace) == models / "index.ts"
    assert resolve_specifier("@/models/item", app, workspace) == models / "item.ts"
    assert resolve_specifier("config", app, workspace) == project / "src/config.ts"
    assert resolve_specifier("../src/models/item", report, workspace) == models / "item.ts"
    assert resolve_specifier("react", app, workspace) is None  # a package: not read
    assert resolve_specifier("node:fs", report, workspace) is None
    assert resolve_specifier("./missing", app, workspace) is None


def test_names_are_followed_through_index_files(project: Path) -> None:
    workspace = Workspace(project)
    app = project / "src/app.ts"
    by_name = {i.local_name: i for i in imports_of((project / "src/app.ts").read_text(), path=app)}
    models = project / "src/models"
    assert resolve(by_name["Basket"], app, workspace) == (models / "cart.ts", ["Cart"])
    assert resolve(by_name["RATE"], app, workspace) == (models / "cart.ts", ["TAX_RATE"])
    assert resolve(by_name["parseItem"], app, workspace) == (models / "item.ts", ["parseItem"])
    assert resolve(by_name["config"], app, workspace) == (project / "src/config.ts", None)


def test_definitions_are_signatures_with_doc_lines() -> None:
    cart = definitions_of(Path("cart.ts"), CART_TS)
    assert set(cart) == {"Cart", "TAX_RATE", "withTax", "default"}
    assert cart["default"] == cart["Cart"]
    assert cart["Cart"].summary == (
        "/** A shopping cart. */\n"
        "export class Cart {\n"
        "  private items: Item[] = [];\n"
        "  owner: string;\n"
        "  constructor(owner: string);\n"
        "  add(item: Item, quantity = 1): void;\n"
        "  total(): number;\n"
        "}"
    )
    assert cart["TAX_RATE"].summary == "export const TAX_RATE = 0.2;"
    assert cart["withTax"].summary == "export const withTax = (amount: number): number => …"
    item = definitions_of(Path("item.ts"), ITEM_TS)
    assert item["parseItem"].summary == (
        "/** Parses an item from a line of text. */\n"
        "export function parseItem(line: string): Item { … }"
    )
    assert item["Item"].summary == "export interface Item {\n  name: string;\n  price: number;\n}"
    assert item["Currency"].summary == 'export type Currency = "EUR" | "USD";'
    assert "Small" in item["Size"].summary


def test_plain_javascript_definitions() -> None:
    source = (
        "function total(items) {\n  return 0;\n}\n"
        "class Cart extends Base {\n  items = [];\n  add(item) { this.items.push(item); }\n}\n"
        "module.exports = { total, Cart };\n"
    )
    found = definitions_of(Path("cart.js"), source)
    assert found["total"].summary == "function total(items) { … }"
    assert found["Cart"].summary == "class Cart extends Base {\n  items = [];\n  add(item);\n}"


def test_the_prompt_gets_the_definitions_used_near_the_cursor(project: Path) -> None:
    app = project / "src/app.ts"
    text = app.read_text() + "const cart = new Basket('ann');\ncart."
    names = [d.name for d in imported_definitions(text, len(text), app, Workspace(project))]
    assert names[0] == "Cart"  # used near the cursor (as Basket)
    assert set(names) >= {"Cart", "withTax", "TAX_RATE", "parseItem"}
    snippets = gather_context(text, len(text), app, project, neighbours=[])
    cart = next(s for s in snippets if s.path == "src/models/cart.ts")
    assert "total(): number;" in cart.text


def test_a_broken_tsconfig_leaves_relative_imports_working(tmp_path: Path) -> None:
    (tmp_path / "tsconfig.json").write_text('{ "compilerOptions": { "baseUrl": ')
    (tmp_path / "a.ts").write_text('import { b } from "./b";\n')
    (tmp_path / "b.ts").write_text("export function b(): number { return 1; }\n")
    workspace = Workspace(tmp_path)
    assert resolve_specifier("./b", tmp_path / "a.ts", workspace) == tmp_path / "b.ts"
    assert resolve_specifier("b", tmp_path / "a.ts", workspace) is None
