"""The argument-and-member suite (measure/quality/member_holes.py): cut by its script alone,
every hole right after a call's `(` or a member's `.`."""

from __future__ import annotations

import json
from pathlib import Path

from codegen_complete.measure.quality.cases import MEMBER_HOLES, load_suite
from codegen_complete.measure.quality.data import FIXTURES
from codegen_complete.measure.quality.member_holes import candidates, cut, table


def test_the_holes_file_is_what_the_script_cuts() -> None:
    assert json.loads(MEMBER_HOLES.read_text()) == cut()


def test_every_language_and_kind_has_holes_in_both_halves() -> None:
    holes = json.loads(MEMBER_HOLES.read_text())
    languages = {"python", "javascript", "typescript", "go", "rust", "java", "c"}
    for language in languages:
        for kind in ("argument", "member"):
            splits = {h["split"] for h in holes if (h["language"], h["kind"]) == (language, kind)}
            assert splits == {"dev", "test"}, (language, kind)


def test_a_hole_is_the_rest_of_the_line_after_its_bracket_or_dot() -> None:
    cases = load_suite("members", Path("unused"), split="test")
    assert cases and all(case.id.endswith(" test") for case in cases)
    for case in cases:
        kind = case.id.split(" ")[-2]
        assert case.before.endswith("(" if kind == "argument" else ".")
        assert len(case.expected.strip()) >= 3 and "\n" not in case.expected


def test_candidates_are_calls_with_arguments_and_member_accesses(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    text = "import os.path\nvalue = compute(1, 2)\nempty = f()\nname = user.name  # x.y\n"
    found = {(kind, text.split("\n")[row][:column]) for kind, row, column in candidates(text, path)}
    assert found == {("argument", "value = compute("), ("member", "name = user.")}


def test_the_table_reads_outcomes_per_language_kind_and_mode(tmp_path: Path) -> None:
    outcomes = tmp_path / "outcomes.jsonl"
    records = [
        {"suite": "members", "mode": "lookup", "id": "multilang/go_cmp/a.go:3 member dev",
         "exact": True},
        {"suite": "members", "mode": "lookup", "id": "multilang/go_cmp/b.go:9 member dev",
         "exact": False},
    ]  # fmt: skip
    outcomes.write_text("\n".join(map(json.dumps, records)))
    assert "| go | member | 2 | 50.0 |" in table([outcomes])
    assert (FIXTURES / "multilang" / "go_cmp").is_dir()
