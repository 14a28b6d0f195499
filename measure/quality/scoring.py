"""How a completion is scored against a case: the program passes, the edit similarity, the
normalised exact match, whether it adds a syntax error."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from codegen_complete.context.classify import Mode
from codegen_complete.context.documents import syntax_damage
from codegen_complete.context.languages import parser
from codegen_complete.measure.quality.cases import Case

EXECUTION_TIMEOUT_S = 3.0


def passes(program: str, timeout_s: float = EXECUTION_TIMEOUT_S) -> bool:
    """Run a Python program in a fresh isolated interpreter; True when it exits 0 in time."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "candidate.py"
        path.write_text(program)
        try:
            result = subprocess.run(
                [sys.executable, "-I", str(path)], cwd=scratch, capture_output=True,
                timeout=timeout_s, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return False
    return result.returncode == 0


def edit_similarity(a: str, b: str) -> float:
    """1 - Levenshtein(a, b) / max(len): 1.0 for equal strings (RepoEval's definition)."""
    if not a and not b:
        return 1.0
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return 1 - previous[-1] / max(len(a), len(b))


def normalise(text: str, mode: Mode) -> str:
    if mode is Mode.SINGLE_LINE:
        return text.strip()
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip()


def adds_syntax_error(case: Case, completion: str) -> bool:
    if case.language is None or not completion:
        return False
    language_parser = parser(case.language)
    if language_parser is None:
        return False

    def damage(middle: str) -> int:
        return syntax_damage(
            language_parser.parse((case.before + middle + case.after).encode()).root_node
        )

    return damage(completion) > damage("")
