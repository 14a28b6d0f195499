"""Cross-file context: which files may be read, import resolution, definitions, packing."""

from __future__ import annotations

from pathlib import Path

import pytest
from tokenizers import Tokenizer

from codegen_complete.completion.prompt import Budget, PromptBuilder
from codegen_complete.completion.templates import FAMILIES
from codegen_complete.context.crossfile import imported_definitions
from codegen_complete.context.languages.python.imports import (
    definitions_of,
    imports_of,
    resolve_module,
)
from codegen_complete.context.snippets import Snippet
from codegen_complete.context.workspace import Workspace
from codegen_complete.models.store import InstalledModel

MODELS = '''"""Shop models."""
TAX_RATE = 0.2


class Item:
    """A thing for sale."""

    currency = "EUR"

    def __init__(self, name: str, price: int) -> None:
        self.name = name

    def with_tax(self) -> int:
        """Price including tax."""
        return round(self.price * (1 + TAX_RATE))


def total(items: list[Item], discount: float = 0.0) -> int:
    """Sum of prices with tax."""
    return 0


def _private():
    pass
'''
CART = (
    "from .models import Item, total\nimport shop.util as u\n\n\n"
    "def f(items):\n    return total(items)\n"
)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    package = tmp_path / "src" / "shop"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODELS)
    (package / "cart.py").write_text(CART)
    (package / "util.py").write_text("def helper(x): ...\n")
    return tmp_path


def test_imports_are_read_from_the_tree() -> None:
    found = imports_of("import os.path as p\nfrom .a import b, c as d\nfrom . import e\n")
    assert [(i.local_name, i.module, i.name) for i in found] == [
        ("p", "os.path", None),
        ("b", ".a", "b"),
        ("d", ".a", "c"),
        ("e", ".", "e"),
    ]


def test_modules_resolve_in_the_workspace(project: Path) -> None:
    workspace = Workspace(project)
    cart = project / "src" / "shop" / "cart.py"
    assert resolve_module(".models", cart, workspace) == project / "src/shop/models.py"
    assert resolve_module("shop.util", cart, workspace) == project / "src/shop/util.py"
    assert resolve_module("shop", cart, workspace) == project / "src/shop/__init__.py"
    assert resolve_module("os.path", cart, workspace) is None


def test_definitions_are_signatures_with_docstring_lines(project: Path) -> None:
    path = project / "src/shop/models.py"
    definitions = definitions_of(path, MODELS)
    assert set(definitions) == {"TAX_RATE", "Item", "total", "_private"}
    assert definitions["total"].summary == (
        "def total(items: list[Item], discount: float = 0.0) -> int:\n"
        '    """Sum of prices with tax."""'
    )
    item = definitions["Item"].summary
    assert 'currency = "EUR"' in item
    assert "    def with_tax(self) -> int:" in item
    assert "return round" not in item  # bodies stay out
    assert definitions["_private"].summary == "def _private(): ..."


def test_names_used_near_the_cursor_rank_first(project: Path) -> None:
    cart = project / "src/shop/cart.py"
    names = [d.name for d in imported_definitions(CART, len(CART), cart, Workspace(project))]
    assert names[0] == "total"
    assert "Item" in names


def test_packing_keeps_the_most_relevant_in_file_order(tiny_model: InstalledModel) -> None:
    tokenizer = Tokenizer.from_file(str(tiny_model.file("tokenizer.json")))
    builder = PromptBuilder(
        tokenizer, FAMILIES["qwen2.5-coder"], tiny_model.manifest.special_token_ids
    )
    snippets = [
        Snippet("b.py", "def used(): ...", order=5),
        Snippet("a.py", "X = 1", order=2),
        Snippet("a.py", "def unused_and_long(): ...\n" * 40, order=1),
    ]
    prompt = builder.build("used(", ")\n", Budget(context=60), context=snippets, path="c.py")
    assert [s.path for s in prompt.context] == ["a.py", "b.py"]  # file order, not rank order
    assert len(prompt.context) == 2  # the long one did not fit
    separator = builder.file_separator
    assert separator is not None and prompt.tokens[0] == separator
    assert prompt.tokens.count(separator) == 3  # a.py, b.py and the current file


# --- what never goes into a prompt ---------------------------------------------------------


def test_secrets_are_never_read(tmp_path: Path) -> None:
    for name in (".env", ".env.local", "server.pem", "id_rsa", "credentials.json", "api.key"):
        (tmp_path / name).write_text("TOKEN=hunter2\n")
        assert Workspace(tmp_path).read(tmp_path / name) is None, name
    (tmp_path / "settings.py").write_text("DEBUG = True\n")
    assert Workspace(tmp_path).read(tmp_path / "settings.py") == "DEBUG = True\n"


def test_gitignored_files_are_never_read(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("generated/\n*.local.py\n!keep.local.py\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "api.py").write_text("X = 1\n")
    (tmp_path / "config.local.py").write_text("X = 1\n")
    (tmp_path / "keep.local.py").write_text("X = 1\n")
    nested = tmp_path / "pkg"
    nested.mkdir()
    (nested / ".gitignore").write_text("secret_sauce.py\n")
    (nested / "secret_sauce.py").write_text("X = 1\n")
    (nested / "fine.py").write_text("X = 1\n")
    workspace = Workspace(tmp_path)
    assert workspace.read(tmp_path / "generated" / "api.py") is None
    assert workspace.read(tmp_path / "config.local.py") is None
    assert workspace.read(nested / "secret_sauce.py") is None
    assert workspace.read(tmp_path / "keep.local.py") == "X = 1\n"
    assert workspace.read(nested / "fine.py") == "X = 1\n"
    assert sorted(p.name for p in workspace.files((".py",))) == ["fine.py", "keep.local.py"]


def test_nothing_outside_the_workspace_is_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("SECRET = 1\n")
    root = tmp_path / "project"
    root.mkdir()
    (root / "link.py").symlink_to(outside)
    workspace = Workspace(root)
    assert workspace.read(outside) is None
    assert workspace.read(root / "link.py") is None  # a symlink pointing out
    assert workspace.read(root / ".." / "outside.py") is None
    current = root / "main.py"
    current.write_text("from ..outside import SECRET\nimport outside\n")
    assert resolve_module("..outside", current, workspace) is None
    assert resolve_module("outside", current, workspace) is None
