"""The JavaScript/TypeScript name check: a function or class the suggestion calls that the
module neither declares nor imports, and that no global or ambient declaration provides."""

from __future__ import annotations

import threading
from pathlib import Path

from codegen_complete.checks.namecheck import members_at as checked_members_at
from codegen_complete.checks.namecheck import unresolved
from codegen_complete.context.languages import detect

JS = detect("x.js")
TS = detect("x.ts")
MODULE = (
    "import { checkOrder } from './orders.js';\n"
    "const TAX = 0.2;\n\n"
    "export function ship(order) {\n"
    "  "
)
AFTER = "\n}\n\nfunction price(order) {\n  return order.total * (1 + TAX);\n}\n"


def names(suggestion: str, before: str = MODULE, after: str = AFTER, **kw: object) -> list[str]:
    language = kw.get("language", JS)
    root = kw.get("root")
    return [
        u.name
        for u in unresolved(suggestion, before, after, language, None, root)  # type: ignore[arg-type]
    ]


def test_an_invented_helper_is_reported() -> None:
    assert names("validateOrder(order);") == ["validateOrder"]
    assert names("const service = new OrderService(order);") == ["OrderService"]


def test_what_the_module_has_is_not() -> None:
    assert names("checkOrder(order);") == []  # imported
    assert names("return price(order);") == []  # declared further down
    assert names("const cost = price(order) * TAX;") == []


def test_globals_members_and_the_suggestions_own_names_are_not() -> None:
    for suggestion in (
        "console.log(JSON.stringify(order));",
        "setTimeout(() => ship(order), 100);",
        "const seen = new Map();",
        "return fetch(url).then((r) => r.json());",
        "order.validate();",  # a member: its receiver's type is unknown here
        "function helper(x) { return x; }\n  return helper(order);",
        "expect(price(order)).toBe(1);",
    ):
        assert names(suggestion) == [], suggestion


def test_a_classic_script_is_left_alone() -> None:
    # No import, export or require: its globals may come from another script of the page.
    script = "function ship(order) {\n  "
    assert names("validateOrder(order);", before=script, after="\n}\n") == []


def test_commonjs_counts_as_a_module() -> None:
    before = "const { checkOrder } = require('./orders');\n\nfunction ship(order) {\n  "
    assert names("validateOrder(order);", before=before, after="\n}\n") == ["validateOrder"]
    assert names("checkOrder(order);", before=before, after="\n}\n") == []


def test_typescript_and_ambient_declarations(tmp_path: Path) -> None:
    (tmp_path / "types").mkdir()
    (tmp_path / "types" / "globals.d.ts").write_text(
        "declare function track(event: string): void;\n"
    )
    before = (
        "import type { Order } from './order';\n\nexport function ship(order: Order): void {\n  "
    )
    assert names("track('ship');", before=before, after="\n}\n", language=TS, root=tmp_path) == []
    assert names(
        "audit(order as Order);", before=before, after="\n}\n", language=TS, root=tmp_path
    ) == ["audit"]


def test_offsets_point_into_the_suggestion() -> None:
    (found,) = unresolved("const x = 1;\n  validateOrder(x);", MODULE, AFTER, JS, None, None)
    assert "const x = 1;\n  validateOrder(x);"[found.offset :].startswith("validateOrder")


def test_languages_without_a_check_are_left_alone() -> None:
    c = detect("x.c")
    assert unresolved("made_up();", "int main(void) {\n    ", "\n}\n", c, None, None) == []


CLASS_BEFORE = (
    "export class Cart {\n"
    "  constructor(owner) {\n"
    "    this.owner = owner;\n"
    "    this.items = [];\n"
    "  }\n\n"
    "  #discount = 0;\n\n"
    "  subtotal() {\n"
    "    return this.items.reduce((sum, item) => sum + item.total(), 0);\n"
    "  }\n\n"
    "  describe() {\n"
    "    "
)
CLASS_AFTER = "\n  }\n}\n"


def test_an_invented_member_of_this_is_reported() -> None:
    # The real case, in JavaScript: `owners` where the field is `owner`, and a
    # method only the items have.
    assert names("return this.owners.name;", CLASS_BEFORE, CLASS_AFTER) == ["owners"]
    assert names("return this.total();", CLASS_BEFORE, CLASS_AFTER) == ["total"]
    assert names("return this.#rebate;", CLASS_BEFORE, CLASS_AFTER) == ["#rebate"]
    ts = CLASS_BEFORE.replace("constructor(owner)", "constructor(private owner: string)")
    assert names("return this.ordered;", ts, CLASS_AFTER, language=TS) == ["ordered"]


def test_members_the_class_has_or_the_suggestion_makes_are_not() -> None:
    for suggestion in (
        "return `${this.owner}: ${this.subtotal()}`;",
        "return this.#discount;",
        "this.note = 'x';\n    return this.note;",  # assigned before it is read
        "return this.items.length;",
    ):
        assert names(suggestion, CLASS_BEFORE, CLASS_AFTER) == [], suggestion


def test_members_that_may_come_from_elsewhere_are_left_alone() -> None:
    # A base class may define it; a `function` gives `this` another meaning; outside a class
    # `this` is not the instance.
    derived = CLASS_BEFORE.replace("export class Cart {", "export class Cart extends Base {")
    assert names("return this.total();", derived, CLASS_AFTER) == []
    inner = "return [1].map(function () { return this.total; });"
    assert names(inner, CLASS_BEFORE, CLASS_AFTER) == []
    assert names("return this.total;", MODULE, AFTER) == []
    # An arrow function keeps the class's `this`: still checked.
    arrow = "return [1].map(() => this.total);"
    assert names(arrow, CLASS_BEFORE, CLASS_AFTER) == ["total"]


def test_a_class_whose_members_cannot_all_be_seen_is_left_alone() -> None:
    for before, after in (
        (CLASS_BEFORE, CLASS_AFTER + "Cart.prototype.total = function () {};\n"),
        (CLASS_BEFORE.replace("this.items = [];", "Object.assign(this, defaults);"), CLASS_AFTER),
        (CLASS_BEFORE.replace("#discount = 0;", "[key] = 0;"), CLASS_AFTER),
    ):
        assert names("return this.total();", before, after) == []
    indexed = CLASS_BEFORE.replace("#discount = 0;", "[key: string]: unknown;")
    assert names("return this.total();", indexed, CLASS_AFTER, language=TS) == []


def test_typescript_signatures_declare_members() -> None:
    declarations = "abstract total(): number;\n  declare label: string;"
    abstract = CLASS_BEFORE.replace(
        "export class Cart {", "export abstract class Cart {\n  " + declarations
    )
    for suggestion in ("return this.total();", "return this.label;"):
        assert names(suggestion, abstract, CLASS_AFTER, language=TS) == [], suggestion
    assert names("return this.ordered;", abstract, CLASS_AFTER, language=TS) == ["ordered"]


# --- names declared only where the cursor cannot see them ------------------------------------

SCOPES = (
    "import { load } from './load.js';\n"
    "export function save(args, store) {\n  store.put(args.entry);\n}\n\n"
    "export function report(entry, mountPath) {\n"
    "  const seen = new Set();\n  for (const item of entry.items) { seen.add(item); }\n"
    "  throw new Error({\n    "
)
SCOPES_AFTER = "\n  });\n}\nfunction later(x) {\n  return x;\n}\n"


def test_a_name_declared_only_in_another_function_is_reported() -> None:
    """`args` and `store` are parameters of `save`; the cursor is in `report`."""
    assert names("mountType: args.entry.type,", SCOPES, SCOPES_AFTER) == ["args"]
    assert names("where: store,", SCOPES, SCOPES_AFTER) == ["store"]
    assert names("item,", SCOPES, SCOPES_AFTER) == []  # `for` declares it in this function


def test_names_in_scope_are_not() -> None:
    in_scope = [
        "mountType: entry.type,",  # a parameter of this function
        "path: mountPath,",
        "seen,",  # shorthand, declared in this function
        "loader: load,",  # imported
        "helper: later(entry),",  # a function of the module, declared further down
        "each: entry.items.map((args) => args.id),",  # the suggestion's own parameter
    ]
    for suggestion in in_scope:
        assert names(suggestion, SCOPES, SCOPES_AFTER) == [], suggestion


def test_a_name_the_file_also_reads_out_of_its_declarations_reach_is_left_alone() -> None:
    """`store` read at the top level of the module too: a global this check does not know."""
    before = SCOPES.replace("export function report", "console.log(store);\nexport function report")
    assert names("where: store,", before, SCOPES_AFTER) == []


def test_a_name_the_parser_made_up_to_mend_a_suggestion_is_not_searched_for() -> None:
    """Seen on the typing benchmark: `aliases.length >)` leaves tree-sitter a MISSING (empty)
    identifier after `>`, and looking its name up in the file searched for the empty word at
    the same place for ever; the server's worker hung, and every request after it waited."""
    before = "export function pick(aliases, names) {\n  if ("
    after = " {\n    return names;\n  }\n}\n"
    checked: list[list[str]] = []
    worker = threading.Thread(
        target=lambda: checked.append(names("aliases.length >)", before, after)), daemon=True
    )
    worker.start()
    worker.join(timeout=60)  # a hang, not a speed: the check takes milliseconds
    assert checked == [[]]


def test_the_members_this_may_take_at_the_cursor() -> None:
    """What the model chooses among at `this.|`: the class's fields, methods and the members
    it assigns; TypeScript's parameter properties too. None where the class has private
    members (spelt with `#`, which the check leaves out) or may get members from elsewhere."""
    plain = CLASS_BEFORE.replace("#discount = 0;\n", "")
    members = members_at(plain + "return this.")
    assert members is not None
    assert {"owner", "items", "subtotal", "describe"} <= members
    assert "total" not in members and "__codegen_cursor__" not in members
    assert members_at(plain + "return this.ow") == members
    ts = plain.replace("constructor(owner)", "constructor(private owner: string, tag: string)")
    ts_members = members_at(ts + "return this.", language=TS) or frozenset()
    assert "owner" in ts_members and "tag" not in ts_members
    for before in (
        CLASS_BEFORE + "return this.",  # a private member
        plain.replace("export class Cart {", "export class Cart extends Base {") + "return this.",
        plain + "this.",  # begins a statement: it may be assigned
        plain + "return cart.",  # not `this`
        MODULE + "return this.",  # not in a class
    ):
        assert members_at(before) is None, before


def members_at(
    before: str, after: str = CLASS_AFTER, language: object = JS
) -> frozenset[str] | None:
    return checked_members_at(before, after, language, None, None)  # type: ignore[arg-type]
