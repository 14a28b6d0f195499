"""The Go and Rust name check: a function the suggestion calls without a path or package that
is declared nowhere in the file, its package's folder (Go) or the language."""

from __future__ import annotations

from pathlib import Path

from codegen_complete.checks.namecheck import unresolved
from codegen_complete.context.languages import detect

GO = detect("x.go")
RUST = detect("x.rs")
BEFORE = 'package orders\n\nimport "strings"\n\nfunc Ship(o Order) error {\n\t'
AFTER = "\n\treturn nil\n}\n\nfunc price(o Order) float64 {\n\treturn o.Total * 1.2\n}\n"


def names(
    suggestion: str, before: str = BEFORE, after: str = AFTER, path: Path | None = None
) -> list[str]:
    language = RUST if before.startswith("use") else GO
    return [u.name for u in unresolved(suggestion, before, after, language, path, None)]


def test_an_invented_function_is_reported() -> None:
    assert names("if err := validateOrder(o); err != nil {\n\t\treturn err\n\t}") == [
        "validateOrder"
    ]


def test_the_file_the_language_and_the_suggestion_declare_names() -> None:
    for suggestion in (
        "p := price(o)",  # declared further down
        "items := make([]string, 0, len(o.Items))",  # predeclared
        "name := strings.TrimSpace(o.Name)",  # through a package: not checked
        "o.Validate()",  # a method: not checked
        "check := func() bool { return true }\n\tif !check() {\n\t\treturn nil\n\t}",
    ):
        assert names(suggestion) == [], suggestion


def test_another_file_of_the_package_declares_names(tmp_path: Path) -> None:
    (tmp_path / "validate.go").write_text(
        "package orders\n\nfunc validateOrder(o Order) error { return nil }\n"
    )
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x.go").write_text("package other\n\nfunc auditOrder() {}\n")
    path = tmp_path / "ship.go"
    path.write_text(BEFORE + AFTER)
    assert names("validateOrder(o)", path=path) == []
    # Another folder is another package: its names need a qualifier.
    assert names("auditOrder()", path=path) == ["auditOrder"]
    # A file of the package written since the last check counts at once.
    (tmp_path / "audit.go").write_text("package orders\n\nfunc auditOrder() {}\n")
    assert names("auditOrder()", path=path) == []


def test_a_dot_import_is_left_alone() -> None:
    dotted = BEFORE.replace('import "strings"', 'import . "strings"')
    assert names("validateOrder(o)", dotted) == []


RUST_BEFORE = (
    "use std::collections::HashMap;\n"
    "use crate::pricing::price;\n\n"
    "pub fn ship(order: &Order) -> Result<(), String> {\n"
    "    "
)
RUST_AFTER = (
    "\n    Ok(())\n}\n\nfn weight(order: &Order) -> f64 {\n    order.items.len() as f64\n}\n\n"
    "#[cfg(test)]\nmod tests {\n    use super::*;\n}\n"
)


def test_rust_an_invented_function_is_reported() -> None:
    assert names("validate_order(order)?;", RUST_BEFORE, RUST_AFTER) == ["validate_order"]


def test_rust_the_file_its_uses_the_prelude_and_the_suggestion_declare_names() -> None:
    for suggestion in (
        "let total = price(order) + weight(order);",  # used, and declared further down
        "let seen: HashMap<u32, f64> = HashMap::new();",  # a path: not checked
        "let id = Some(order.id);",  # the prelude
        "order.validate()?;",  # a method: not checked
        "let check = |o: &Order| o.items.is_empty();\n    if check(order) {\n        todo!()\n"
        "    }",
    ):
        assert names(suggestion, RUST_BEFORE, RUST_AFTER) == [], suggestion


def test_rust_glob_imports_from_other_modules_and_macros_are_left_alone() -> None:
    glob = RUST_BEFORE.replace("use crate::pricing::price;", "use crate::pricing::*;")
    assert names("validate_order(order)?;", glob, RUST_AFTER) == []
    macro = RUST_AFTER + "macro_rules! checks { () => { fn validate_order() {} } }\n"
    assert names("validate_order(order)?;", RUST_BEFORE, macro) == []


JAVA = detect("x.java")
JAVA_BEFORE = (
    "package shop;\n\nimport java.util.List;\n\n"
    "public class Orders {\n"
    "    private final List<Order> orders;\n\n"
    "    public double ship(Order order) {\n"
    "        "
)
JAVA_AFTER = (
    "\n        return price(order);\n    }\n\n"
    "    private static double price(Order order) {\n        return order.total * 1.2;\n    }\n}\n"
)


def java(suggestion: str, before: str = JAVA_BEFORE, after: str = JAVA_AFTER) -> list[str]:
    return [u.name for u in unresolved(suggestion, before, after, JAVA, None, None)]


def test_java_an_invented_method_is_reported() -> None:
    assert java("validateOrder(order);") == ["validateOrder"]


def test_java_the_class_object_receivers_and_the_suggestion_declare_names() -> None:
    for suggestion in (
        "double p = price(order);",  # the class's own
        "String s = toString();",  # from Object
        "orders.add(order);",  # a receiver: not checked
        "Runnable r = () -> System.out.println(order);",
    ):
        assert java(suggestion) == [], suggestion


def test_java_inherited_or_statically_imported_methods_are_left_alone() -> None:
    derived = JAVA_BEFORE.replace("public class Orders {", "public class Orders extends Base {")
    assert java("validateOrder(order);", derived) == []
    implementing = JAVA_BEFORE.replace("class Orders {", "class Orders implements Shipper {")
    assert java("validateOrder(order);", implementing) == []
    static = JAVA_BEFORE.replace("import java.util.List;", "import static shop.Checks.*;")
    assert java("validateOrder(order);", static) == []
    anonymous = "Runnable r = new Runnable() { public void run() { validateOrder(order); } };"
    assert java(anonymous) == []
