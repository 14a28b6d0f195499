"""The typing benchmark (measure/editor/keystrokes.py, typist.py, places.py): its simulated
user, and one small run through the real server with the tiny model in CI (mechanics only: its
figures are the benchmark's, in docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from codegen_complete.measure.editor import typist
from codegen_complete.measure.editor.editors import Editor, InProcessEditor, Start, server_start
from codegen_complete.measure.editor.keystrokes import probe_table, run_places, table
from codegen_complete.measure.editor.places import (
    Place,
    Task,
    choose_places,
    keys_of,
    make_task,
    tasks_for,
)
from codegen_complete.measure.editor.typist import (
    PROFILES,
    Profile,
    Score,
    Typist,
    _acceptable,
)
from tests.conftest import TINY

FAST = Profile("fast", 0.02, 0.0)
TEXT = "def f(x):\n    y = x + 1\n    return y\n"
PLACE = Place("p", "f.py", 1, "test")


class ScriptedEditor(InProcessEditor):
    """An editor whose server answers each request with `answer(text before the cursor)`
    after `delay_s`."""

    def __init__(self, answer: Callable[[str], str], delay_s: float = 0.0) -> None:
        super().__init__()
        self.answer, self.delay_s = answer, delay_s
        self.focused: list[int] = []

    def focus(self, uri: str, offset: int) -> None:
        self.focused.append(offset)

    def ask(self, uri: str, offset: int) -> tuple[asyncio.Future[str], Callable[[], None]]:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        text = self.answer(self.texts[uri][:offset])
        handle = asyncio.get_running_loop().call_later(self.delay_s, future.set_result, text)
        return future, handle.cancel


def typed(editor: ScriptedEditor, task: Task, word: bool = False) -> Score:
    uri = editor.open(Path("/tmp/f.py"), TEXT)
    score = Score("scripted")
    typist = Typist(editor, uri, task, FAST, random.Random(1), word)
    asyncio.run(typist.run())
    typist.add_to(score)
    assert editor.text(uri) == TEXT  # the lines typed back, whatever was accepted
    return score


def test_keys_are_characters_and_enter_with_the_indentation() -> None:
    assert keys_of("ab\n    c") == ["a", "b", "\n    ", "c"]


def test_a_jump_empties_the_line_and_writing_on_removes_the_next_lines() -> None:
    jump = make_task(PLACE, TEXT, "jump")
    assert jump is not None and jump.target == "y = x + 1" and jump.lines == 1
    assert jump.text == "def f(x):\n    \n    return y\n"
    assert jump.text[jump.cursor - 4 : jump.cursor] == "    "
    write = make_task(PLACE, TEXT, "write")
    assert write is not None and write.target == "y = x + 1\n    return y"
    assert write.text == "def f(x):\n    \n" and write.lines == 2


def test_a_suggestion_is_taken_only_where_it_ends_a_line_exactly() -> None:
    assert _acceptable("x + 1", "x + 1\n    return y", word=False) == "x + 1"
    assert _acceptable("x + 1\n    return y", "x + 1\n    return y", word=False) == (
        "x + 1\n    return y"
    )
    assert _acceptable("x + 1\n    return z", "x + 1\n    return y", word=False) == "x + 1"
    assert _acceptable("x + 2", "x + 1", word=False) == ""
    assert _acceptable("x +", "x + 1", word=False) == ""  # right, but the line is not done
    assert _acceptable("x + 2", "x + 1", word=True) == ""  # `x` alone saves no key
    assert _acceptable("value + 2", "value + 1", word=True) == "value"


def test_the_right_line_on_arrival_costs_one_key() -> None:
    task = make_task(PLACE, TEXT, "jump")
    assert task is not None
    editor = ScriptedEditor(lambda before: "y = x + 1"[len(before.split("\n")[-1]) - 4 :])
    score = typed(editor, task)
    assert editor.focused == [task.cursor]  # the cursor rested there first
    assert score.keys_pressed == 1 and score.keys_needed == 9
    assert score.right_on_arrival == 1 and score.lines_accepted == 1 and score.wrong_shown == 0


def test_passing_over_lines_rests_on_each_on_the_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(typist, "PASSING_S", 0.01)
    text = "a = 1\nb = 2\nc = 3\nd = 4\n"
    task = make_task(Place("p", "f.py", 3, "test"), text, "jump")
    assert task is not None
    editor = ScriptedEditor(lambda before: "")
    uri = editor.open(Path("/tmp/f.py"), text)
    asyncio.run(Typist(editor, uri, task, FAST, random.Random(1), False, passing=2).run())
    # The two lines above, then the line itself.
    assert editor.focused == [text.index("b"), text.index("c"), task.cursor]


def test_a_wrong_suggestion_on_screen_is_counted_and_nothing_is_saved() -> None:
    task = make_task(PLACE, TEXT, "jump")
    assert task is not None
    score = typed(ScriptedEditor(lambda before: "print(x)"), task)
    assert score.keys_pressed == score.keys_needed == 9
    assert score.wrong_shown >= 1 and score.lines_accepted == 0


def test_a_late_answer_for_a_state_typed_past_is_never_shown() -> None:
    task = make_task(PLACE, TEXT, "write")
    assert task is not None
    # Right, but every answer comes after the next key: the user never sees one.
    target = "y = x + 1\n    return y"

    def rest(before: str) -> str:
        return target[len(before) - len("def f(x):\n    ") :]

    score = typed(ScriptedEditor(rest, delay_s=0.7), task)  # the user arrives after 0.6 s
    assert score.keys_pressed == score.keys_needed and score.wrong_shown == 0


def test_word_by_word_takes_the_words_that_match() -> None:
    task = make_task(PLACE, TEXT, "jump")
    assert task is not None
    editor = ScriptedEditor(lambda before: "y = x + 1"[len(before.split("\n")[-1]) - 4 :])
    score = typed(editor, task, word=True)
    # `y` is typed (a one-character word saves nothing), then ` =`, ` x`, ` +`, ` 1` taken.
    assert score.keys_pressed == 5 and score.keys_needed == 9


def test_a_probe_compares_the_first_answer_with_the_one_after_idle_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(typist, "IDLE_S", 0.05)
    task = make_task(PLACE, TEXT, "probe")
    assert task is not None
    answers = iter(["y = 2", "y = x + 1"])  # wrong at first, right once warmed
    editor = ScriptedEditor(lambda before: next(answers), delay_s=0.02)
    uri = editor.open(Path("/tmp/f.py"), TEXT)
    score = Score("probe")
    asyncio.run(typist.probe(editor, uri, task, score))
    assert (score.tasks, score.first_exact, score.later_exact) == (1, 0, 1)
    assert 0.02 <= score.first_answer_s[0] < 1.0
    assert "| probe | 1 |" in probe_table([("probe", score)])


class PausableEditor(ScriptedEditor):
    """Records, at every request, whether it or any other editor was paused."""

    def __init__(self, everyone: list[PausableEditor]) -> None:
        super().__init__(lambda before: "")
        self.everyone, self.paused = everyone, False
        self.seen: list[tuple[bool, bool]] = []  # (this paused, every other paused)
        everyone.append(self)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def ask(self, uri: str, offset: int) -> tuple[asyncio.Future[str], Callable[[], None]]:
        others = [editor.paused for editor in self.everyone if editor is not self]
        self.seen.append((self.paused, all(others)))
        return super().ask(uri, offset)


async def test_only_the_editor_being_measured_runs() -> None:
    everyone: list[PausableEditor] = []
    editors = {label: PausableEditor(everyone) for label in ("base", "new", "other")}

    def start_of(editor: PausableEditor) -> Start:
        async def start(root: Path) -> Editor:
            return editor

        return start

    holes = [{"project": "genai_prices", "file": "genai_prices/data_snapshot.py", "line": 40,
              "split": "test"}]  # fmt: skip
    tasks = tasks_for(choose_places(holes, "test", 1, seed=1), "jump")
    starts = {label: start_of(editor) for label, editor in editors.items()}
    await run_places(tasks, starts, FAST, seed=1, word=False)
    for editor in everyone:
        assert editor.seen and set(editor.seen) == {(False, True)}
        assert not editor.paused  # all running again at the end (else they could not stop)


async def test_a_small_run_through_the_server(tiny_store: Path) -> None:
    settings = {"model": TINY, "modelsDir": str(tiny_store), "threads": 1}
    holes = [
        {"project": "genai_prices", "file": "genai_prices/data_snapshot.py", "line": 40,
         "split": "test"},
        {"project": "genai_prices", "file": "genai_prices/data_snapshot.py", "line": 60,
         "split": "test"},
    ]  # fmt: skip
    places = choose_places(holes, "test", 2, seed=1)
    tasks = tasks_for(places[:1], "jump") + tasks_for(places[1:], "write")
    starts = {"this": server_start(settings, None)}
    scores = await run_places(tasks, starts, PROFILES["steady"], seed=1, word=False)
    score = scores["this"]
    assert not score.crashed and score.tasks == 2
    assert 0 < score.keys_pressed <= score.keys_needed
    assert score.requests >= score.keys_pressed  # one automatic request a key at least
    assert any("focus, warming" in line for line in score.log)
    assert "| this | 2 |" in table([("this", score)])
