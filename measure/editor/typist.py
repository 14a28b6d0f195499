"""The typing benchmark's simulated user: keys at a profile's pace, what is on screen, what it
takes, and the score of a place (or of a probe: the first answer against the one after idle)."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from codegen_complete.measure.editor.editors import Editor, replace_changed
from codegen_complete.measure.editor.places import Task, keys_of

ARRIVAL_S = 0.6  # from arriving at a place to the first key
# At a jump the cursor rests on the line this long (the editor tells the server where it is)
# before the user empties it.
RESTING_S = 0.4
# With `passing`, the cursor comes to a jump's line over the lines above it, resting this
# long on each (longer than the editors wait before they report a place).
PASSING_S = 0.25
NOTICE_S = 0.1  # a suggestion on screen this long is seen
IDLE_S = 6.0  # the probe's second question at a place comes after this long


@dataclass(frozen=True)
class Profile:
    """When the user presses keys: lognormal around a median (sigma 0: a steady rhythm)."""

    name: str
    median_s: float
    sigma: float

    def delay(self, rng: random.Random) -> float:
        if not self.sigma:
            return self.median_s
        return min(3.0, self.median_s * math.exp(rng.gauss(0.0, self.sigma)))


PROFILES = {
    "realistic": Profile("realistic", 0.170, 0.5),
    "steady": Profile("steady", 0.150, 0.0),
}


@dataclass
class Shown:
    text: str  # what is on screen after the cursor now
    since: float
    first_line: str  # as it was first shown, for judging it
    typed_at_show: int  # keys of the task done when it was shown
    judged: bool = False


@dataclass
class Score:
    """What one run saw, summed over its places."""

    label: str
    tasks: int = 0
    lines: int = 0
    keys_needed: int = 0
    keys_pressed: int = 0
    lines_accepted: int = 0  # lines whose end an accepted suggestion wrote
    right_on_arrival: int = 0  # lines accepted before any of their keys
    wrong_shown: int = 0
    latencies_s: list[float] = field(default_factory=list)  # requests answered with text
    requests: int = 0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    crashed: bool = False
    places: list[dict[str, Any]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # the server's, for --json-out
    # Probes: the first answer at a new place (its latency, whether it was the line) and the
    # answer there after IDLE_S.
    first_answer_s: list[float] = field(default_factory=list)
    first_exact: int = 0
    later_exact: int = 0

    @property
    def keys_saved(self) -> float:
        return 100 * (1 - self.keys_pressed / max(1, self.keys_needed))

    def latency_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies_s) or [math.nan]
        return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _acceptable(shown: str, rest: str, word: bool) -> str:
    """The part of `shown` the user takes, given `rest` (what is left to type): with `word`,
    the next word when it matches; else the suggestion's longest run of whole lines that
    match and end where a line of `rest` ends (at least the current line)."""
    if word:
        taken = _next_word(shown)
        return taken if len(taken) > 1 and rest.startswith(taken) else ""
    best = ""
    end = shown.find("\n")
    while True:
        part = shown if end < 0 else shown[:end]
        if not rest.startswith(part) or not (len(rest) == len(part) or rest[len(part)] == "\n"):
            break
        best = part
        if end < 0:
            break
        end = shown.find("\n", end + 1)
    return best


def _next_word(text: str) -> str:
    """Leading whitespace, then a run of word characters or of other non-space characters."""
    index = 0
    while index < len(text) and text[index].isspace():
        index += 1
    if index < len(text):
        alnum = text[index].isalnum() or text[index] == "_"
        while index < len(text) and not text[index].isspace():
            if (text[index].isalnum() or text[index] == "_") != alnum:
                break
            index += 1
    return text[:index]


async def arrive(editor: Editor, uri: str, task: Task, passing: int) -> None:
    """The cursor comes to the task's line, over the `passing` lines above it (`j` or the
    arrow key at a reading pace), and rests there before the user acts."""
    starts = [0] + [index + 1 for index, c in enumerate(task.text[: task.cursor]) if c == "\n"]
    for start in starts[-1 - passing : -1] if passing else []:
        editor.focus(uri, start)
        await asyncio.sleep(PASSING_S)
    editor.focus(uri, task.cursor)
    await asyncio.sleep(RESTING_S)


async def probe(editor: Editor, uri: str, task: Task, score: Score, passing: int = 0) -> None:
    """The first answer at a new place, and the answer there after IDLE_S of idle time."""
    await arrive(editor, uri, task, passing)
    replace_changed(editor, uri, task.text)
    started = time.perf_counter()
    first = await editor.ask(uri, task.cursor)[0]
    score.first_answer_s.append(time.perf_counter() - started)
    await asyncio.sleep(IDLE_S)
    later = await editor.ask(uri, task.cursor)[0]
    score.tasks += 1
    score.lines += 1
    line = task.target.split("\n")[0]
    score.first_exact += first.split("\n")[0] == line
    score.later_exact += later.split("\n")[0] == line
    score.places.append({**asdict(task.place), "scenario": "probe", "first": first,
                         "later": later, "first_s": score.first_answer_s[-1]})  # fmt: skip


class Typist:
    """One task typed into an editor: the user's keys, what is on screen, the score."""

    def __init__(
        self, editor: Editor, uri: str, task: Task, profile: Profile, rng: random.Random,
        word: bool, passing: int = 0,
    ) -> None:  # fmt: skip
        self.editor, self.uri, self.task = editor, uri, task
        self.profile, self.rng, self.word = profile, rng, word
        self.passing = passing
        self.target = task.target
        self.cursor = task.cursor
        self.done = 0  # characters of the target in the document
        self.pressed = 0
        self.line_keys = 0  # keys pressed on the current line
        self.accepted_lines = 0
        self.on_arrival = 0
        self.wrong = 0
        self.shown: Shown | None = None
        self.pending: tuple[asyncio.Future[str], Callable[[], None]] | None = None
        self.latencies: list[float] = []
        self.requests = 0

    async def run(self) -> None:
        if self.task.scenario == "jump":
            await arrive(self.editor, self.uri, self.task, self.passing)
        replace_changed(self.editor, self.uri, self.task.text)
        self._ask()  # emptying the line is a change: the editor asks
        next_at = time.perf_counter() + ARRIVAL_S
        while self.done < len(self.target):
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            self._act(time.perf_counter())
            next_at = time.perf_counter() + self.profile.delay(self.rng)
        self._judge(self.shown, time.perf_counter())
        if self.pending is not None:
            self.pending[1]()

    def _act(self, now: float) -> None:
        """The user's next move: take what is on screen where it is right, else type a key."""
        rest = self.target[self.done :]
        shown = self.shown
        taken = ""
        if shown is not None and now - shown.since >= NOTICE_S:
            taken = _acceptable(shown.text, rest, self.word)
        self.pressed += 1
        if taken:
            ends_line = len(taken) == len(rest) or rest[len(taken)] == "\n"
            finished = rest[: len(taken)].count("\n") + ends_line
            self.accepted_lines += finished
            self.on_arrival += finished if self.line_keys == 0 else max(0, finished - 1)
            self._insert(taken)
            self.line_keys = 0 if ends_line else self.line_keys + 1
            assert shown is not None
            left = shown.text[len(taken) :]
            if left and self.word:  # the rest of the suggestion stays on screen
                shown.text = left
                return
            self._judge(shown, now)
            self.shown = None
        else:
            key = keys_of(rest)[0]
            if shown is not None and shown.text.startswith(key) and len(shown.text) > len(key):
                shown.text = shown.text[len(key) :]  # typing what is shown keeps it
            else:
                self._judge(shown, now)
                self.shown = None
            self._insert(key)
            self.line_keys = 0 if key.startswith("\n") else self.line_keys + 1
        if self.done < len(self.target):
            self._ask()

    def _insert(self, text: str) -> None:
        self.editor.replace(self.uri, self.cursor, self.cursor, text)
        self.cursor += len(text)
        self.done += len(text)

    def _judge(self, shown: Shown | None, now: float) -> None:
        """A suggestion leaves the screen: wrong if it was seen and is not what comes next."""
        if shown is None or shown.judged:
            return
        shown.judged = True
        rest = self.target[shown.typed_at_show :]
        if now - shown.since >= NOTICE_S and not rest.startswith(shown.first_line):
            self.wrong += 1

    def _ask(self) -> None:
        if self.pending is not None:
            self.pending[1]()  # the editor cancels the request of the key before
        future, cancel = self.editor.ask(self.uri, self.cursor)
        self.requests += 1
        self.pending = (future, cancel)
        sent, at = time.perf_counter(), self.done

        def arrived(answer: asyncio.Future[str]) -> None:
            if answer.cancelled() or answer.exception() is not None:
                return
            text = answer.result()
            if text:
                self.latencies.append(time.perf_counter() - sent)
            if self.pending is None or self.pending[0] is not answer or self.done != at:
                return  # the user has typed on: the editor drops the answer
            if self.shown is not None and self.shown.text == text:
                return  # the same ghost text goes on standing there
            now = time.perf_counter()
            self._judge(self.shown, now)
            self.shown = Shown(text, now, text.split("\n")[0], self.done) if text else None

        future.add_done_callback(arrived)

    def add_to(self, score: Score) -> None:
        keys = len(keys_of(self.target))
        score.tasks += 1
        score.lines += self.task.lines
        score.keys_needed += keys
        score.keys_pressed += self.pressed
        score.lines_accepted += self.accepted_lines
        score.right_on_arrival += self.on_arrival
        score.wrong_shown += self.wrong
        score.latencies_s += self.latencies
        score.requests += self.requests
        score.places.append({
            **asdict(self.task.place), "scenario": self.task.scenario, "keys": keys,
            "pressed": self.pressed, "accepted_lines": self.accepted_lines,
            "on_arrival": self.on_arrival, "wrong": self.wrong,
        })  # fmt: skip
