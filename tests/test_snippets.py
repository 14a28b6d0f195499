"""Similar snippets from other files, and what gather_context puts together."""

from __future__ import annotations

import itertools
from pathlib import Path

from codegen_complete.context.gather import PlaceMemo, gather_context, recent_files
from codegen_complete.context.snippets import MIN_SIMILARITY, Snippet, similar_snippets
from codegen_complete.context.workspace import Workspace

OTHER = "\n".join(
    ["import json", "", ""]
    + [f"def unrelated_{i}(a):\n    return a * {i}\n" for i in range(6)]
    + ["def load_settings(path):", "    with open(path) as handle:",
       "        settings = json.load(handle)", "    settings.setdefault('debug', False)",
       "    return settings", ""]
)  # fmt: skip
BEFORE = "def read_config(path):\n    with open(path) as handle:\n        settings = "


def test_the_most_similar_window_wins() -> None:
    (best, *_) = similar_snippets(BEFORE, [("other.py", OTHER)])
    assert "json.load(handle)" in best.text
    assert best.score >= MIN_SIMILARITY


def test_nothing_similar_gives_nothing() -> None:
    assert similar_snippets("zebra = giraffe\n", [("other.py", OTHER)]) == []
    assert similar_snippets("", [("other.py", OTHER)]) == []


def test_overlapping_windows_are_not_repeated() -> None:
    snippets = similar_snippets(BEFORE, [("other.py", OTHER)], limit=3)
    starts = sorted(s.order for s in snippets)
    assert all(b - a >= 12 for a, b in itertools.pairwise(starts))


def test_gather_context_joins_definitions_and_snippets(tmp_path: Path) -> None:
    (tmp_path / "config.py").write_text(OTHER)
    (tmp_path / "helpers.py").write_text('def parse(text: str) -> dict:\n    """Parse."""\n')
    current = tmp_path / "main.py"
    text = "from helpers import parse\n\n\n" + BEFORE + "parse(\n"
    current.write_text(text)
    snippets = gather_context(text, len(text) - 7, current, tmp_path)
    assert snippets[0].path == "helpers.py"  # the imported definition first
    assert any(s.path == "config.py" and "json.load" in s.text for s in snippets)


def test_neighbours_outside_the_workspace_are_ignored(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    outside = tmp_path / "secret_project.py"
    outside.write_text(OTHER)
    current = root / "main.py"
    current.write_text(BEFORE)
    assert gather_context(BEFORE, len(BEFORE), current, root, None, [(outside, OTHER)]) == ()


def test_recent_files_are_readable_files_of_the_same_language(tmp_path: Path) -> None:
    for name in ("a.py", "b.py", "notes.txt", ".env.py"):
        (tmp_path / name).write_text("x = 1\n")
    current = tmp_path / "a.py"
    found = [p.name for p, _ in recent_files(Workspace(tmp_path), current.resolve())]
    assert found == ["b.py"]


def test_a_place_keeps_its_context_while_the_user_types(tmp_path: Path) -> None:
    memo = PlaceMemo()
    calls: list[int] = []

    def gather(offset: int) -> tuple[Snippet, ...]:
        calls.append(offset)
        return (Snippet("other.py", f"found at {offset}", 0),)

    text = "\n".join(f"line {i}" for i in range(100))
    here = text.index("line 20")
    first = memo.get(text, here, "doc", lambda: gather(here))
    typed = text[:here] + "new_name = " + text[here:]
    again = memo.get(typed, here + 11, "doc", lambda: gather(here + 11))
    assert again == first and calls == [here]  # same block of lines: not gathered again
    far = text.index("line 70")
    assert memo.get(text, far, "doc", lambda: gather(far)) != first  # another place
    assert memo.get(text, here, "other document", lambda: gather(0)) != first


def test_the_place_memo_is_bounded() -> None:
    memo = PlaceMemo(size=2)
    text = "\n" * 100
    for line in (0, 20, 40):
        memo.get(text, line, "doc", lambda: ())
    assert len(memo._places) == 2
