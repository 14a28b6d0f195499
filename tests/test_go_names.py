"""The Go name check: a function the suggestion calls without a package that is declared
nowhere in the file, its package (folder) or the language."""

from __future__ import annotations

from pathlib import Path

from codegen_complete.context.languages import detect
from codegen_complete.context.namecheck import unresolved

GO = detect("x.go")
BEFORE = 'package orders\n\nimport "strings"\n\nfunc Ship(o Order) error {\n\t'
AFTER = "\n\treturn nil\n}\n\nfunc price(o Order) float64 {\n\treturn o.Total * 1.2\n}\n"


def names(
    suggestion: str, before: str = BEFORE, after: str = AFTER, path: Path | None = None
) -> list[str]:
    return [u.name for u in unresolved(suggestion, before, after, GO, path, None)]


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


def test_a_dot_import_is_left_alone() -> None:
    dotted = BEFORE.replace('import "strings"', 'import . "strings"')
    assert names("validateOrder(o)", dotted) == []
