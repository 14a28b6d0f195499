"""The name check: names a Python suggestion reads that are defined nowhere, found through the
file, its workspace imports, classes and their bases, installed modules and builtins; and
what the suggestion becomes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from codegen_complete.completion.options import DEFAULTS
from codegen_complete.completion.suggest import DocumentSnapshot, _checked_names
from codegen_complete.context.classify import Mode
from codegen_complete.context.languages import detect
from codegen_complete.context.languages.python import PYTHON
from codegen_complete.context.languages.python import names as python_names

MODELS = """from dataclasses import dataclass, field
from enum import Enum


class Status(Enum):
    OPEN = "open"
    PAID = "paid"


@dataclass
class Item:
    name: str
    price: float

    def total(self, quantity: int = 1) -> float:
        return self.price * quantity


@dataclass
class Cart:
    owner: str
    items: list[Item] = field(default_factory=list)
    status: Status = Status.OPEN

    def add(self, item: Item) -> None:
        self.items.append(item)
        self.updated = True
        self.first, self.last = item, item


class FrozenCart(Cart):
    def freeze(self) -> None: ...


class Remote(SomeBase):
    pass


class Dynamic:
    def __getattr__(self, name): ...
"""

CHECKOUT = """import json
import math
from shop.models import Cart, Dynamic, FrozenCart, Item, Remote


def total(cart: Cart) -> float:
    return """


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("")
    (tmp_path / "shop" / "models.py").write_text(MODELS)
    (tmp_path / "shop" / "checkout.py").write_text(CHECKOUT + "0\n")
    return tmp_path


def unresolved(shop: Path, suggestion: str, before: str = CHECKOUT) -> list[str]:
    found = python_names.unresolved(
        suggestion, before, "\n", PYTHON, shop / "shop/checkout.py", shop
    )
    return [u.name for u in found]


def test_the_real_case_a_method_of_another_class_and_a_misspelt_field(shop: Path) -> None:
    """Tried in a real project: `cart.total()` where only Item has total(), `cart.owners`
    where the field is `owner`."""
    assert unresolved(shop, "cart.total()") == ["total"]
    assert unresolved(shop, "len(cart.owners)") == ["owners"]
    assert unresolved(shop, "cart.owner") == []
    assert unresolved(shop, "sum(item.total() for item in cart.items)") == []


@pytest.mark.parametrize(
    ("suggestion", "expected"),
    [
        ("cart.status.value", []),  # an Enum member's `value`
        ("cart.updated", []),  # set on self in a method
        ("cart.first, cart.last", []),  # set on self by unpacking
        ("FrozenCart(owner='a').items", []),  # inherited field
        ("FrozenCart(owner='a').freeze()", []),
        ("FrozenCart(owner='a').thaw()", ["thaw"]),
        ("super().anything()", []),  # the bases', not the builtin super's members
        ("Remote().anything", []),  # a base that cannot be read: uncertain
        ("Dynamic().anything", []),  # __getattr__: anything goes
        ("cart.__class__.__name__", []),
        ("math.sqrt(2)", []),  # a compiled standard-library module
        ("math.sqroot(2)", ["sqroot"]),
        ("json.dumps(cart.items)", []),  # a standard-library package, parsed not run
        ("json.dumpz(cart.items)", ["dumpz"]),
        ("totl(cart)", ["totl"]),  # a bare name nowhere in the file
        ("total(cart) + len(cart.items)", []),
        ("[x.price for x in cart.items]", []),  # bound by the suggestion itself
        ("(lambda c: c.owner)(cart)", []),
        ("Item(name='a', price=1).total()", []),  # keyword arguments are not reads
        ("cart.items.apend(Item('a', 1))", []),  # `list[Item]` field: its type is not traced
    ],
)
def test_what_resolves_and_what_does_not(shop: Path, suggestion: str, expected: list[str]) -> None:
    assert unresolved(shop, suggestion) == expected


def test_names_bound_by_a_match_pattern_are_not_reads(shop: Path) -> None:
    before = "def f(point):\n    match point:\n        "
    assert (
        unresolved(shop, "case Item(price=0, name=label):\n            return label", before) == []
    )


def test_builtin_types_from_annotations(shop: Path) -> None:
    before = "def f(names: list[str], label: str | None) -> int:\n    return "
    assert unresolved(shop, "names.count('a')", before) == []
    assert unresolved(shop, "names.size()", before) == ["size"]
    assert unresolved(shop, "label.upper()", before) == []
    assert unresolved(shop, "label.uppercase()", before) == ["uppercase"]


def test_assigned_instances_and_self(shop: Path) -> None:
    before = (
        CHECKOUT.rsplit("def total", 1)[0] + "class Till:\n    def __init__(self):\n"
        "        self.cart = Cart('ann')\n\n    def pay(self):\n        basket = Cart('bo')\n"
        "        return "
    )
    assert unresolved(shop, "self.cart", before) == []
    assert unresolved(shop, "self.carts", before) == ["carts"]
    assert unresolved(shop, "self.pay()", before) == []
    assert unresolved(shop, "basket.owner", before) == []
    assert unresolved(shop, "basket.ownr", before) == ["ownr"]


def test_a_star_import_or_attributes_set_elsewhere_count_as_defined(shop: Path) -> None:
    assert unresolved(shop, "helper()", "from shop.models import *\n\nx = ") == []
    before = CHECKOUT.replace(
        "def total", "def tag(cart: Cart):\n    cart.note = 'x'\n\n\ndef total"
    )
    assert unresolved(shop, "cart.note", before) == []


def snapshot(before: str, after: str, root: Path) -> DocumentSnapshot:
    return DocumentSnapshot(
        text=before + after,
        offset=len(before),
        mode=Mode.MULTI_LINE,
        language=detect("checkout.py"),
        path=root / "shop/checkout.py",
        root=root,
    )


def test_a_line_with_an_invented_name_is_dropped_and_a_block_keeps_what_came_before(
    shop: Path,
) -> None:
    document = snapshot(CHECKOUT, "\n", shop)
    assert _checked_names("cart.total()", document, DEFAULTS) == ("", ("total",), "dropped")
    block_before = CHECKOUT.replace("    return ", "")
    block = snapshot(block_before, "\n", shop)
    suggestion = "    owner = cart.owner\n    return cart.total()"
    assert _checked_names(suggestion, block, DEFAULTS) == (
        "    owner = cart.owner",
        ("total",),
        "trimmed",
    )
    assert _checked_names("cart.owner", document, DEFAULTS) == ("cart.owner", (), "")


def test_the_check_can_be_turned_off(shop: Path) -> None:
    document = snapshot(CHECKOUT, "\n", shop)
    off = replace(DEFAULTS, check_names=False)
    assert _checked_names("cart.total()", document, off) == ("cart.total()", (), "")


@pytest.mark.parametrize(
    ("suggestion", "expected"),
    [
        # Found in real use: `os` star-imports `posix`, so every `os.<name>` passed.
        ("os.路径.abspath(path)", ["路径"]),
        ("os.ignorize(path)", ["ignorize"]),
        ("os.path.abspath(path)", []),
        ("os.getcwd() + os.sep", []),
        ("os.environ.get('HOME')", []),
        ("codecs.BOM_UTF16", []),  # `BOM = BOM_UTF16 = ...` under an `if`
        ("re.IGNORECASE", []),  # made at run time (`global_enum`): not decided
    ],
)
def test_attributes_of_standard_library_modules(
    shop: Path, suggestion: str, expected: list[str]
) -> None:
    before = "import codecs\nimport os\nimport re\n\n\ndef where(path):\n    return "
    assert unresolved(shop, suggestion, before) == expected


KEYWORDS = CHECKOUT.rsplit("def total", 1)[0].replace(
    "import json\n", "import json\nfrom shutil import copyfile\n"
) + (
    "cart = Cart('ann')\n\n\n"
    "def pay(cart: Cart, *, method: str = 'card', receipt=True) -> None: ...\n\n\n"
    "def log(*parts, **extra) -> None: ...\n\n\n"
    "class Till:\n    def ring(self, amount: float, note: str = '') -> None:\n"
    "        return "
)


@pytest.mark.parametrize(
    ("suggestion", "expected"),
    [
        # Found in real use: an invented keyword argument of a known callee.
        (
            "pay(cart, project_config_auto_generation_mode=True)",
            ["project_config_auto_generation_mode"],
        ),
        ("pay(cart, method='cash', receipt=False)", []),
        ("log('x', anything=1)", []),  # **extra: any keyword goes
        ("Item(name='a', price=1)", []),  # a dataclass's fields, from another file
        ("Item(name='a', cost=1)", ["cost"]),
        ("Cart(owner='a', items=[])", []),
        ("Remote(colour='red')", []),  # a class whose base cannot be read: undecided
        ("self.ring(1.0, note='tip')", []),
        ("self.ring(1.0, memo='tip')", ["memo"]),
        ("json.dumps(cart, indent=2, sort_keys=True)", []),
        ("json.loads('{}', parse_float=float)", []),
        ("copyfile(cart, cart, follow_symlink=False)", ["follow_symlink"]),  # installed
        ("unknown(anything=1)", ["unknown"]),  # the name itself is reported, not its keyword
    ],
)
def test_keyword_arguments_of_known_callees(
    shop: Path, suggestion: str, expected: list[str]
) -> None:
    assert unresolved(shop, suggestion, KEYWORDS) == expected


def members_at(shop: Path, before: str, after: str = "\n") -> frozenset[str] | None:
    return python_names.members_at(before, after, PYTHON, shop / "shop/checkout.py", shop)


def test_the_members_a_receiver_may_take_at_the_cursor(shop: Path) -> None:
    """What the model chooses among at `cart.|`: the class's fields and methods, its bases'
    and the attributes set on it, as the name check counts them."""
    members = members_at(shop, CHECKOUT + "cart.")
    assert members is not None
    assert {"owner", "items", "status", "add", "updated", "first", "last"} <= members
    assert "total" not in members  # Item's, not Cart's
    # A partial name typed after the dot, and a receiver that is a call.
    assert members_at(shop, CHECKOUT + "cart.ow") == members
    assert "freeze" in (members_at(shop, CHECKOUT + "FrozenCart(owner='a').") or ())
    assert "sqrt" in (members_at(shop, CHECKOUT + "math.") or ())
    # An attribute the file itself sets on some object counts, as in the name check.
    assert "tag" in (members_at(shop, CHECKOUT + "cart.", "\ncart.tag = 1\n") or ())


@pytest.mark.parametrize(
    "before",
    [
        CHECKOUT + "Remote().",  # a base that cannot be read
        CHECKOUT + "Dynamic().",  # __getattr__
        CHECKOUT + "unknown.",  # a value of unknown type
        CHECKOUT + "cart",  # not at a member
        CHECKOUT + "cart. ",
        CHECKOUT + "1.",
        # Beginning a statement, a member may be one being assigned (`self.total = 0`).
        CHECKOUT.replace("return ", "") + "cart.",
        CHECKOUT.replace("return ", "") + "cart.ow",
    ],
)
def test_no_members_where_they_cannot_be_known(shop: Path, before: str) -> None:
    assert members_at(shop, before) is None
