"""The evaluation harness: loading suites, executing programs, scoring, the CLI command."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from codegen_complete.context.classify import Mode
from codegen_complete.context.gather import gather_context
from codegen_complete.measure.quality.cases import load_suite
from codegen_complete.measure.quality.evaluation import Outcome, summarise
from codegen_complete.measure.quality.scoring import edit_similarity, passes
from codegen_complete.server.cli import main

CROSSFILE = Path(__file__).parent / "fixtures" / "crossfile"

HUMANEVAL_ROW = {
    "task_id": "SingleLineInfilling/HumanEval/0/L0",
    "entry_point": "double",
    "prompt": "def double(x):\n",
    "suffix": "    return y\n",
    "canonical_solution": "    y = x * 2\n",
    "test": "def check(candidate):\n    assert candidate(2) == 4\n",
}
SANTACODER_ROW = {
    "name": "HumanEval_0_double_js",
    "language": "js",
    "prompt": "function double(x) {",
    "suffix": "\n}\n",
    "canonical_solution": "\n  return x * 2;",
    "tests": "",
}


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with gzip.open(path, "wt") as handle:
        handle.write("".join(json.dumps(row) + "\n" for row in rows))


@pytest.fixture()
def eval_dir(tmp_path: Path) -> Path:
    write_rows(tmp_path / "HumanEval-SingleLineInfilling.dev.jsonl.gz", [HUMANEVAL_ROW] * 3)
    write_rows(tmp_path / "santacoder-fim-singleline.dev.jsonl.gz", [SANTACODER_ROW] * 2)
    return tmp_path


def test_humaneval_cases_put_the_cursor_on_an_empty_line(eval_dir: Path) -> None:
    (case, *_) = load_suite("humaneval-single", eval_dir)
    assert case.before == "def double(x):\n"
    assert case.after == "\n    return y\n"
    assert case.mode is Mode.SINGLE_LINE
    assert case.program_template is not None
    head, tail = case.program_template
    assert passes(head + "    y = x * 2" + tail)
    assert not passes(head + "    y = x * 3" + tail)


def test_santacoder_cases_carry_their_language(eval_dir: Path) -> None:
    cases = load_suite("santacoder", eval_dir, limit=1)
    assert len(cases) == 1
    assert cases[0].language is not None and cases[0].language.name == "javascript"
    assert cases[0].program_template is None
    assert cases[0].before.endswith("{\n") and cases[0].after.startswith("\n\n}")


def test_a_program_that_hangs_fails_in_time() -> None:
    assert not passes("while True:\n    pass\n", timeout_s=0.5)


def test_edit_similarity() -> None:
    assert edit_similarity("abc", "abc") == 1.0
    assert edit_similarity("", "") == 1.0
    assert edit_similarity("abcd", "abed") == pytest.approx(0.75)
    assert edit_similarity("", "xy") == 0.0


def test_summary() -> None:
    outcomes = [
        Outcome("a", "x = 1", True, 1.0, True, False, 100.0),
        Outcome("b", "", False, 0.0, False, False, 300.0),
    ]
    summary = summarise("suite", "product", outcomes)
    assert (summary.pass_at_1, summary.exact_match, summary.empty_rate) == (50.0, 50.0, 50.0)
    assert summary.latency_p50_ms == 300.0


def test_eval_command_on_the_tiny_model(
    capsys: pytest.CaptureFixture[str], eval_dir: Path, tiny_store: Path, tmp_path: Path
) -> None:
    outcomes = tmp_path / "outcomes.jsonl"
    code = main(
        [
            "eval",
            "--suite",
            "humaneval-single",
            "--suite",
            "santacoder",
            "--eval-dir",
            str(eval_dir),
            "--model",
            "tiny-qwen",
            "--models-dir",
            str(tiny_store),
            "--outcomes",
            str(outcomes),
        ]
    )
    assert code == 0
    table = capsys.readouterr().out
    for row in (
        "| humaneval-single | product | 3 |",
        "| humaneval-single | naive | 3 |",
        "| santacoder | product | 2 |",
    ):
        assert row in table
    records = [json.loads(line) for line in outcomes.read_text().splitlines()]
    assert len(records) == 10
    assert {"completion", "exact", "passed", "latency_ms"} <= set(records[0])


def test_eval_without_its_data_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["eval", "--eval-dir", str(tmp_path / "none")]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_crossfile_suite_holes_match_their_lines() -> None:
    cases = load_suite("crossfile", Path("unused"), crossfile_dir=CROSSFILE)
    assert len(cases) >= 12
    for case in cases:
        assert case.path is not None and case.root is not None
        text = case.path.read_text()
        assert case.before + case.expected + case.after == text
        assert case.expected.strip()


def test_crossfile_context_reaches_the_prompt() -> None:
    (case, *_) = load_suite("crossfile", Path("unused"), crossfile_dir=CROSSFILE)
    assert case.path is not None and case.root is not None
    snippets = gather_context(case.before + case.after, len(case.before), case.path, case.root)
    assert {s.path for s in snippets} == {"src/inventory/stock.py"}
    assert any(
        "def restock_sku(self, sku: str, units: int, supplier_code: str)" in s.text
        for s in snippets
    )
