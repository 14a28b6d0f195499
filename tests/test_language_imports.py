"""Go, Rust, Java and C/C++ imports: the path forms each language has, resolved in small
fixture projects, the definitions they point to summarised as signatures, and the context
block headed by a comment in the language's own syntax."""

from __future__ import annotations

from pathlib import Path

import pytest
from tokenizers import Tokenizer

from codegen_complete.completion.prompt import Budget, PromptBuilder
from codegen_complete.completion.templates import FAMILIES
from codegen_complete.context.crossfile import imported_definitions
from codegen_complete.context.gather import gather_context
from codegen_complete.context.languages import detect
from codegen_complete.context.languages.c import imports as c_imports
from codegen_complete.context.languages.go import imports as go_imports
from codegen_complete.context.languages.java import imports as java_imports
from codegen_complete.context.languages.rust import imports as rust_imports
from codegen_complete.context.workspace import Workspace
from codegen_complete.models.store import InstalledModel


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def names_near_end(path: Path, root: Path, typed: str) -> list[str]:
    text = path.read_text() + typed
    return [d.name for d in imported_definitions(text, len(text), path, Workspace(root))]


# --- Go --------------------------------------------------------------------------------------

GO_FILES = {
    "go.mod": "module example.com/shop\n\ngo 1.22\n",
    "models/cart.go": "package models\n\n// Cart holds what a customer buys.\ntype Cart struct {\n"
    "\tOwner string\n\tItems []Item\n}\n\n// Total sums the prices.\n"
    "func (c *Cart) Total() float64 {\n\treturn 0\n}\n",
    "models/item.go": "package models\n\ntype Item struct {\n\tName  string\n\tPrice float64\n}\n\n"
    "const Tax = 0.2\n\nfunc NewItem(name string, price float64) Item {\n"
    "\treturn Item{name, price}\n}\n",
    "models/cart_test.go": "package models\n\nfunc TestHidden() {}\n",
    "cmd/main.go": 'package main\n\nimport (\n\t"fmt"\n\tm "example.com/shop/models"\n'
    '\t_ "example.com/shop/plugins"\n)\n\nfunc main() {\n',
}


def test_go_packages_of_the_module_are_folders(tmp_path: Path) -> None:
    root = write(tmp_path, GO_FILES)
    main = root / "cmd/main.go"
    found = go_imports.imports_of(main.read_text())
    assert [(i.local_name, i.module) for i in found] == [
        ("fmt", "fmt"),
        ("m", "example.com/shop/models"),
    ]
    workspace = Workspace(root)
    assert go_imports.resolve(found[1], main, workspace) == (root / "models", None)
    assert go_imports.resolve(found[0], main, workspace) == (None, None)  # the standard library
    names = names_near_end(main, root, '\tcart := m.Cart{}\n\titem := m.NewItem("a", 1)\n\t')
    assert set(names) == {"Cart", "NewItem"}
    assert "TestHidden" not in go_imports.package_files(root / "models")


def test_go_definitions() -> None:
    found = go_imports.definitions_of(Path("cart.go"), GO_FILES["models/cart.go"])
    assert found["Cart"].summary == (
        "// Cart holds what a customer buys.\ntype Cart struct {\n\tOwner string\n\tItems []Item\n}"
    )
    assert (
        found["Total"].summary == "// Total sums the prices.\nfunc (c *Cart) Total() float64 { … }"
    )
    item = go_imports.definitions_of(Path("item.go"), GO_FILES["models/item.go"])
    assert item["Tax"].summary == "const Tax = 0.2"


# --- Rust ------------------------------------------------------------------------------------

RUST_FILES = {
    "Cargo.toml": '[package]\nname = "shop"\n',
    "src/lib.rs": 'pub mod models;\npub mod checkout;\n\npub const VERSION: &str = "1";\n',
    "src/models/mod.rs": "pub mod cart;\n\n/// One thing for sale.\npub struct Item {\n"
    "    pub name: String,\n    pub price: f64,\n}\n",
    "src/models/cart.rs": "use super::Item;\n\npub struct Cart {\n    pub owner: String,\n"
    "    items: Vec<Item>,\n}\n\nimpl Cart {\n    pub fn new(owner: &str) -> Self {\n"
    "        Cart { owner: owner.into(), items: vec![] }\n    }\n"
    "    pub fn total(&self) -> f64 {\n        0.0\n    }\n}\n",
    "src/checkout.rs": "use crate::models::cart::Cart;\nuse crate::models::{self, Item as Thing};\n"
    "use crate::VERSION;\nuse std::collections::HashMap;\nmod receipt;\n\n"
    "pub fn pay(cart: &Cart) -> f64 {\n",
    "src/checkout/receipt.rs": "pub fn print() {}\n",
}


def test_rust_paths_resolve_to_module_files(tmp_path: Path) -> None:
    root = write(tmp_path, RUST_FILES)
    checkout = root / "src/checkout.rs"
    found = {i.local_name: i for i in rust_imports.imports_of(checkout.read_text())}
    assert set(found) == {"Cart", "models", "Thing", "VERSION", "receipt"}  # not std
    workspace = Workspace(root)
    assert rust_imports.resolve(found["Cart"], checkout, workspace) == (
        root / "src/models/cart.rs",
        ["Cart"],
    )
    assert rust_imports.resolve(found["models"], checkout, workspace) == (
        root / "src/models/mod.rs",
        None,
    )
    assert rust_imports.resolve(found["Thing"], checkout, workspace) == (
        root / "src/models/mod.rs",
        ["Item"],
    )
    assert rust_imports.resolve(found["VERSION"], checkout, workspace) == (
        root / "src/lib.rs",
        ["VERSION"],
    )
    assert rust_imports.resolve(found["receipt"], checkout, workspace) == (
        root / "src/checkout/receipt.rs",
        None,
    )
    cart = root / "src/models/cart.rs"
    (item,) = rust_imports.imports_of(cart.read_text())
    assert rust_imports.resolve(item, cart, workspace) == (root / "src/models/mod.rs", ["Item"])


def test_rust_definitions_gather_impl_methods_under_their_type() -> None:
    found = rust_imports.definitions_of(Path("cart.rs"), RUST_FILES["src/models/cart.rs"])
    assert found["Cart"].summary == (
        "pub struct Cart {\n    pub owner: String,\n    items: Vec<Item>,\n}\n"
        "impl Cart {\n    pub fn new(owner: &str) -> Self;\n    pub fn total(&self) -> f64;\n}"
    )
    models = rust_imports.definitions_of(Path("mod.rs"), RUST_FILES["src/models/mod.rs"])
    assert models["Item"].summary.startswith("/// One thing for sale.\npub struct Item {")


# --- Java ------------------------------------------------------------------------------------

JAVA_FILES = {
    "src/main/java/com/shop/model/Cart.java": "package com.shop.model;\n\nimport java.util.List;\n"
    "\n/** A customer's cart. */\npublic class Cart {\n  private final String owner;\n"
    "  public static final double TAX = 0.2;\n\n  public Cart(String owner) {\n"
    "    this.owner = owner;\n  }\n\n  public double total() {\n    return 0;\n  }\n}\n",
    "src/main/java/com/shop/model/Status.java": "package com.shop.model;\n\n"
    "public enum Status { OPEN, PAID }\n",
    "src/main/java/com/shop/util/Money.java": "package com.shop.util;\n\n"
    "public final class Money {\n"
    '  public static String format(double amount) { return ""; }\n}\n',
    "src/main/java/com/shop/app/Till.java": "package com.shop.app;\n\n"
    "import com.shop.model.Cart;\nimport com.shop.model.*;\n"
    "import static com.shop.util.Money.format;\nimport java.util.Map;\n\npublic class Till {\n",
    "src/main/java/com/shop/app/Receipt.java": "package com.shop.app;\n\npublic class Receipt {\n"
    "  public void print() {}\n}\n",
}


def test_java_imports_resolve_under_the_source_root(tmp_path: Path) -> None:
    root = write(tmp_path, JAVA_FILES)
    till = root / "src/main/java/com/shop/app/Till.java"
    found = java_imports.imports_of(till.read_text())
    workspace = Workspace(root)
    resolved = [java_imports.resolve(i, till, workspace) for i in found]
    java = root / "src/main/java/com/shop"
    assert resolved == [
        (java / "app", None),  # its own package
        (java / "model/Cart.java", ["Cart"]),
        (java / "model", None),  # .*
        (java / "util/Money.java", ["Money"]),  # static import of Money.format
        (None, None),  # java.util: not in the workspace
    ]
    typed = (
        '  Cart cart = new Cart("ann");\n  Status s = Status.OPEN;\n  Receipt r;\n  format(1);\n'
    )
    assert set(names_near_end(till, root, typed)) == {"Cart", "Status", "Receipt", "Money"}


def test_java_definitions() -> None:
    path = "src/main/java/com/shop/model/Cart.java"
    found = java_imports.definitions_of(Path(path), JAVA_FILES[path])
    assert found["Cart"].summary == (
        "// A customer's cart.\npublic class Cart {\n  private final String owner;\n"
        "  public static final double TAX = 0.2;\n  public Cart(String owner);\n"
        "  public double total();\n}"
    )
    status = "src/main/java/com/shop/model/Status.java"
    found = java_imports.definitions_of(Path(status), JAVA_FILES[status])
    assert found["Status"].summary == "public enum Status {\n  OPEN, PAID;\n}"


# --- C / C++ ---------------------------------------------------------------------------------

C_FILES = {
    "include/shop/cart.h": "#ifndef SHOP_CART_H\n#define SHOP_CART_H\n\n#define MAX_ITEMS 64\n\n"
    "/* One thing for sale. */\ntypedef struct {\n  const char *name;\n  double price;\n} Item;\n\n"
    "/** Sums the prices. */\ndouble cart_total(const Item *items, int count);\n\n#endif\n",
    "src/util.h": "namespace shop {\nclass Money {\n public:\n  static double round(double x);\n"
    "};\n}\n",
    "src/main.c": '#include <stdio.h>\n#include "shop/cart.h"\n#include "util.h"\n\n'
    "int main(void) {\n",
    "compile_commands.json": '[{"directory": ".", "file": "src/main.c", '
    '"command": "cc -Iinclude -c src/main.c"}]',
}


def test_c_includes_resolve_beside_the_file_and_from_compile_commands(tmp_path: Path) -> None:
    root = write(tmp_path, C_FILES)
    main = root / "src/main.c"
    found = c_imports.imports_of(main.read_text(), path=main)
    assert [i.module for i in found] == ["shop/cart.h", "util.h"]  # not <stdio.h>
    workspace = Workspace(root)
    assert c_imports.resolve(found[0], main, workspace) == (root / "include/shop/cart.h", None)
    assert c_imports.resolve(found[1], main, workspace) == (root / "src/util.h", None)
    typed = "  Item items[MAX_ITEMS];\n  double t = cart_total(items, 0);\n"
    assert set(names_near_end(main, root, typed)) == {"Item", "MAX_ITEMS", "cart_total"}
    (root / "compile_commands.json").unlink()
    assert c_imports.resolve(found[0], main, Workspace(root)) == (None, None)


def test_c_definitions_inside_header_guards_and_namespaces() -> None:
    header = c_imports.definitions_of(Path("cart.h"), C_FILES["include/shop/cart.h"])
    assert header["MAX_ITEMS"].summary == "#define MAX_ITEMS 64"
    assert header["cart_total"].summary == (
        "// Sums the prices.\ndouble cart_total(const Item *items, int count);"
    )
    assert header["Item"].summary.endswith("double price;\n} Item;")
    util = c_imports.definitions_of(Path("util.h"), C_FILES["src/util.h"])
    assert "static double round(double x);" in util["Money"].summary


# --- the context block, in each language's comment syntax ------------------------------------


@pytest.mark.parametrize(
    ("files", "current", "typed", "header"),
    [
        (GO_FILES, "cmd/main.go", "\tc := m.Cart{}\n\t", "// models/cart.go"),
        (
            RUST_FILES,
            "src/checkout.rs",
            '    let c = Cart::new("a");\n    ',
            "// src/models/cart.rs",
        ),
        (C_FILES, "src/main.c", "  double t = cart_total(0, 0);\n  ", "// include/shop/cart.h"),
    ],
    ids=["go", "rust", "c"],
)
def test_the_context_block_is_headed_by_a_comment_of_the_language(
    tmp_path: Path,
    tiny_model: InstalledModel,
    files: dict[str, str],
    current: str,
    typed: str,
    header: str,
) -> None:
    root = write(tmp_path, files)
    path = root / current
    text = path.read_text() + typed
    snippets = gather_context(text, len(text), path, root, neighbours=[])
    tokenizer = Tokenizer.from_file(str(tiny_model.file("tokenizer.json")))
    # A family without a file-separator token writes each file's path as a comment.
    builder = PromptBuilder(tokenizer, FAMILIES["left-to-right"], {})
    prompt = builder.build(text, "\n", Budget(context=400), context=snippets, path=current,
                           language=detect(current))  # fmt: skip
    shown = tokenizer.decode(prompt.tokens)
    assert header + "\n" in shown, shown
