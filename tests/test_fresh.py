"""The fresh cross-file suite (measure/quality/fresh.py): holes in real 2025 projects, and the no-
model lookup floor it is measured against."""

from __future__ import annotations

import json
from pathlib import Path

from codegen_complete.measure.quality.cases import load_fresh
from codegen_complete.measure.quality.evaluation import evaluate_case
from codegen_complete.measure.quality.fresh import (
    FRESH,
    NextLines,
    compare,
    cut,
    hole_lines,
    lookup,
)

REPO = Path(__file__).resolve().parents[1]


def test_the_holes_are_the_seeded_draw_and_lines_of_code() -> None:
    fixtures = REPO / FRESH
    holes = json.loads((fixtures / "holes.json").read_text())
    assert holes == cut(fixtures)  # reproducible: nobody picked them by hand
    projects = {hole["project"] for hole in holes}
    assert len(projects) >= 6 and all((fixtures / p / "LICENSE").is_file() for p in projects)
    cases = load_fresh(fixtures)
    assert len(cases) == len(holes)
    for case in cases:
        assert case.path is not None
        assert case.before + case.expected + case.after == case.path.read_text(encoding="utf-8")
        assert len(case.expected) >= 8 and case.open_documents == ()


def test_holes_skip_comments_and_docstrings() -> None:
    text = (
        'def f(value):\n    """Doc\n    more doc text here\n    """\n    # comment here\n'
        "    return value + 1\n"
    )
    assert hole_lines(text) == [0, 5]


def test_lookup_suggests_the_line_that_most_often_follows() -> None:
    index = NextLines.of(["a = 1\nlog.info('x')\n", "a = 1\nlog.info('x')\n", "a = 1\nb = 2\n"])
    assert index.suggest("y = 0\na = 1\n    ") == "log.info('x')"
    assert index.suggest("never seen\n") == ""


def test_lookup_reads_the_project_but_not_the_hole(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("setup()\nrun(fast=True)\n")
    current = tmp_path / "b.py"
    current.write_text("setup()\nrun(slow=True)\n")
    holed = "setup()\n\n"
    assert lookup(tmp_path, current, holed, len("setup()\n")) == "run(fast=True)"


def test_lookup_completes_a_started_line_from_the_project_lines_that_start_alike(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.go").write_text(
        "v := store.Load(key)\n\tv := store.Load(key)\nv := store.Save()\n"
    )
    (tmp_path / "skip.py").write_text("v := store.Drop()\n" * 3)  # not Go
    current = tmp_path / "b.go"
    current.write_text("v := store.Load(key)\n")
    holed = "v := store.\n"
    assert lookup(tmp_path, current, holed, len("v := store.")) == "Load(key)"
    assert lookup(tmp_path, current, "w := nothing.\n", len("w := nothing.")) == ""


def test_the_lookup_row_runs_without_a_model() -> None:
    case = load_fresh(REPO / FRESH)[0]
    outcome = evaluate_case(None, case, "lookup")  # type: ignore[arg-type]
    assert outcome.latency_ms < 10_000 and isinstance(outcome.completion, str)


def test_compare_reports_rows_by_half_and_flips(tmp_path: Path) -> None:
    cases = load_fresh(REPO / FRESH)[:2]

    def write(name: str, right: int) -> Path:
        records = [
            {"suite": "fresh", "mode": "product", "id": c.id, "exact": i == right,
             "similarity": 1.0 if i == right else 0.5, "expected": c.expected}
            for i, c in enumerate(cases)
        ]  # fmt: skip
        path = tmp_path / f"{name}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
        return path

    report = compare([write("first", 0), write("second", 1)], REPO / FRESH)
    assert "2 holes;" in report
    first_row, second_row = report.splitlines()[3:5]
    assert first_row.startswith("| first:product |") and first_row.endswith("| 0 / 0 |")
    assert second_row.startswith("| second:product |") and second_row.endswith("| 1 / 1 |")
