"""The real default model, end to end: completions that parse and make sense."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from codegen_complete.completion.completer import Completer, CompletionRequest
from codegen_complete.completion.options import DEFAULTS
from codegen_complete.context.classify import Mode
from codegen_complete.models.load import load_model
from codegen_complete.models.store import InstalledModel

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def completer(default_model: InstalledModel) -> Completer:
    return load_model(default_model)


def request(before: str, after: str) -> CompletionRequest:
    return CompletionRequest(before, after, Mode.SINGLE_LINE, DEFAULTS, deadline=None)


def complete(completer: Completer, text: str, marker: str = "<CURSOR>") -> str:
    before, after = text.split(marker)
    result = completer.complete(request(before, after))
    # The completed file must still be valid Python.
    ast.parse(before + result.text + after)
    return result.text


def test_return_of_add(completer: Completer) -> None:
    text = complete(completer, "def add(a, b):\n    return <CURSOR>\n")
    assert "a + b" in text or "b + a" in text


def test_the_next_best_where_the_model_wrote_a_name(completer: Completer) -> None:
    """`complete_without` (what follows a name the check finds out of scope): the model's
    first choice at that name is banned, its next best taken."""
    add = request("def add(a, b):\n    return ", "\n")
    first = completer.complete(add)
    assert first.text.startswith("a")
    again = completer.complete_without(add, first, "a")
    assert again is not None and again.text.strip() and not again.text.startswith("a")
    ast.parse("def add(a, b):\n    return " + again.text + "\n")


def test_argument_inside_brackets(completer: Completer) -> None:
    source = (
        "import os\n\n\n"
        "def config_path(name: str) -> str:\n"
        "    home = os.path.expanduser('~')\n"
        "    return os.path.join(<CURSOR>)\n"
    )
    text = complete(completer, source)
    assert "home" in text
    assert not text.endswith(")")  # the closing bracket after the cursor is not repeated


def test_loop_body_on_a_blank_line(completer: Completer) -> None:
    source = (
        "def total(prices: list[float]) -> float:\n"
        "    result = 0.0\n"
        "    for price in prices:\n"
        "        <CURSOR>\n"
        "    return result\n"
    )
    text = complete(completer, source)
    assert "result" in text and "price" in text


def test_class_attribute(completer: Completer) -> None:
    source = (
        "class Point:\n"
        "    def __init__(self, x: float, y: float) -> None:\n"
        "        self.x = x\n"
        "        self.y = <CURSOR>\n"
    )
    assert complete(completer, source).strip() == "y"


def test_typing_reuses_the_cache(completer: Completer) -> None:
    source = "def add(a, b):\n    return a<CURSOR>\n"
    before, after = source.split("<CURSOR>")
    completer.complete(request(before, after))
    again = completer.complete(request(before + " +", after))
    assert again.continuation.reused_tokens >= again.continuation.prompt_tokens - 3


def test_cli_completes_the_shipped_sample(default_model: InstalledModel) -> None:
    script = Path(sys.executable).with_name("codegen-complete")
    result = subprocess.run(
        [str(script), str(REPO / "samples" / "stats.py") + ":14"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "average" in result.stdout and "values" in result.stdout
