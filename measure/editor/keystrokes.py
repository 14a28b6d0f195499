"""The typing benchmark: what a user gets while typing, scored as keys saved.

    python -m codegen_complete.measure.editor.keystrokes [--places 24] [--split test]
        [--profile realistic] [--scenario jump --scenario write] [--busy]
        [--server LABEL[=DIR]] [--lookup] [--indexing DIR]

Through `codegen-complete serve` as the editors drive it (server defaults, so `debounceMs`
120; one `didChange` and one automatic inline-completion request per key; the editor cancels
the request of the key before with `$/cancelRequest`), on real files of the fresh suite's
projects (repositories first published in 2025; tests/fixtures/vendor/fresh, its dev and test
halves kept apart), with up to five files open and the workspace index built.

Two scenarios, at places drawn from the fresh suite's holes:
- **jump**: the cursor comes to the line and rests there RESTING_S (the editors send
  `codegenComplete/didFocus`), the line's text after its indentation is deleted (a change and
  a request, as an editor sends them), and after ARRIVAL_S the user types it back;
- **write**: up to WRITE_LINES consecutive lines are removed and written anew, Enter (with the
  editor's auto-indent, one key) between them, as a programmer writing new code.

- **probe**: as a jump, but instead of typing, the user waits for the first answer (its
  latency and whether it is the line), then IDLE_S more, and asks again: the first answer at
  a new place against the one the server gives once it has had time to warm.

The simulated user presses the next key at times drawn from a profile (lognormal with a median
of 170 ms, or a steady 150 ms). A suggestion counts as on screen from the answer to the latest
request until a key disagrees with it (a key that matches it keeps it, shortened, as editors
do); one on screen for at least NOTICE_S that completes the line exactly is accepted with one
key (the rest of the line, and further lines it gets exactly right). With `--accept word` the
user instead takes the suggestion a word at a time (one key a word) while its words match.

Reported per run: keys saved (of the keys the lines need), lines finished by an accepted
suggestion, right on arrival (a line accepted before any of its keys), wrong suggestions on
screen per line (shown for NOTICE_S or more, not a prefix of what the user goes on to type),
request-to-suggestion latency, the server's CPU seconds per line and its peak RSS. `--lookup`
adds the no-model floor (the line that most often follows the line above elsewhere in the
project, answered in-process) on the same places and keys; `--server LABEL=DIR` runs
another checkout's server beside this one (`--server main=DIR --server this`), alternating
place by place. `--indexing DIR` runs each server twice, the second time ("..., indexing")
with DIR as a second workspace folder whose index the server builds afresh at each start
(a big repository's first build, while the user types in the first folder).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import shutil
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from codegen_complete.measure.editor.lspclient import EditorSession
from codegen_complete.measure.editor.realuse import busy_core
from codegen_complete.measure.quality.fresh import FRESH, NextLines, source_files
from codegen_complete.models.catalog import DEFAULT_MODEL

ARRIVAL_S = 0.6  # from arriving at a place to the first key
# At a jump the cursor rests on the line this long (the editor tells the server where it is)
# before the user empties it.
RESTING_S = 0.4
NOTICE_S = 0.1  # a suggestion on screen this long is seen
WRITE_LINES = 3
OPEN_FILES = 5
SCENARIOS = ("jump", "write", "probe")
IDLE_S = 6.0  # the probe's second question at a place comes after this long
CORPUS_FILES = 10_000  # the big repository --indexing makes


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


@dataclass(frozen=True)
class Place:
    project: str
    file: str  # relative to the project
    line: int  # 0-based
    split: str


@dataclass(frozen=True)
class Task:
    """One place's work: the document as the user finds it, where the cursor is, and the text
    to type there (the next lines' indentation included: Enter auto-indents)."""

    place: Place
    scenario: str
    text: str  # the document with the line(s) removed
    cursor: int
    target: str
    lines: int


def keys_of(target: str) -> list[str]:
    """The keys that type `target`: a character each, Enter with the next line's indentation
    as one (the editor indents)."""
    keys: list[str] = []
    index = 0
    while index < len(target):
        if target[index] == "\n":
            end = index + 1
            while end < len(target) and target[end] in " \t":
                end += 1
            keys.append(target[index:end])
            index = end
        else:
            keys.append(target[index])
            index += 1
    return keys


def make_task(place: Place, text: str, scenario: str) -> Task | None:
    lines = text.split("\n")
    first = lines[place.line]
    indent = first[: len(first) - len(first.lstrip())]
    count = 1
    if scenario == "write":
        while (
            count < WRITE_LINES
            and place.line + count < len(lines)
            and lines[place.line + count].strip()
        ):
            count += 1
    chosen = lines[place.line : place.line + count]
    target = "\n".join([chosen[0][len(indent) :].rstrip(), *(x.rstrip() for x in chosen[1:])])
    start = sum(len(line) + 1 for line in lines[: place.line])
    document = "\n".join([*lines[: place.line], indent, *lines[place.line + count :]])
    if not target.strip():
        return None
    return Task(place, scenario, document, start + len(indent), target, count)


def choose_places(holes: list[dict[str, Any]], split: str, count: int, seed: int) -> list[Place]:
    """`count` holes of the split, spread over the projects (round robin), in a seeded order."""
    rng = random.Random(seed)
    by_project: dict[str, list[Place]] = {}
    for hole in holes:
        if split in ("all", hole["split"]):
            place = Place(hole["project"], hole["file"], hole["line"] - 1, hole["split"])
            by_project.setdefault(hole["project"], []).append(place)
    for places in by_project.values():
        rng.shuffle(places)
    chosen: list[Place] = []
    while len(chosen) < count and any(by_project.values()):
        for project in sorted(by_project):
            if by_project[project] and len(chosen) < count:
                chosen.append(by_project[project].pop())
    return chosen


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


class Editor(Protocol):
    """What the simulated user types into: our server, or the no-model lookup."""

    def open(self, path: Path, text: str) -> str: ...

    def close(self, uri: str) -> None: ...

    def text(self, uri: str) -> str: ...

    def replace(self, uri: str, start: int, end: int, new_text: str) -> None: ...

    def focus(self, uri: str, offset: int) -> None:
        """The cursor rests at `offset` (codegenComplete/didFocus)."""
        ...

    def ask(self, uri: str, offset: int) -> tuple[asyncio.Future[str], Callable[[], None]]:
        """An automatic request: its answer's text, and how to cancel it."""
        ...

    def cpu_s(self) -> float: ...

    def peak_rss_mb(self) -> float: ...

    def log(self) -> list[str]: ...

    @property
    def crashed(self) -> bool: ...

    async def stop(self) -> None: ...


class ServerEditor:
    """`codegen-complete serve` driven as an editor drives it."""

    def __init__(self, session: EditorSession, index_dir: Path | None = None) -> None:
        self.session = session
        self.index_dir = index_dir  # the indexes of its own, removed when it stops

    @classmethod
    async def start(
        cls,
        root: Path,
        settings: dict[str, Any],
        pythonpath: str | None,
        indexing: Path | None = None,
    ) -> ServerEditor:
        """The server for `root`; with `indexing`, that folder is a second workspace folder,
        indexed afresh (an empty index folder) while the user types in `root`."""
        index_dir = Path(tempfile.mkdtemp(prefix="keystrokes-index-")) if indexing else None
        session = await EditorSession.start(
            root, settings, pythonpath, index=True,
            more_roots=(indexing,) if indexing else (), index_dir=index_dir,
        )  # fmt: skip
        return cls(session, index_dir)

    def open(self, path: Path, text: str) -> str:
        return self.session.open(path, text)

    def close(self, uri: str) -> None:
        self.session.close(uri)

    def text(self, uri: str) -> str:
        return self.session.texts[uri]

    def focus(self, uri: str, offset: int) -> None:
        self.session.focus(uri, offset)

    def replace(self, uri: str, start: int, end: int, new_text: str) -> None:
        self.session.replace(uri, start, end, new_text)

    def ask(self, uri: str, offset: int) -> tuple[asyncio.Future[str], Callable[[], None]]:
        return self.session.ask(uri, offset)

    def cpu_s(self) -> float:
        return self.session.cpu_s()

    def peak_rss_mb(self) -> float:
        return self.session.peak_rss_mb()

    def log(self) -> list[str]:
        return self.session.log

    @property
    def crashed(self) -> bool:
        return self.session.crashed

    async def stop(self) -> None:
        await self.session.stop()
        if self.index_dir is not None:
            shutil.rmtree(self.index_dir, ignore_errors=True)


class InProcessEditor:
    """An editor whose answers come from this process (no server): documents as text, no
    CPU or memory of its own to report. Subclasses say how a request is answered."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def open(self, path: Path, text: str) -> str:
        self.texts[path.as_uri()] = text
        return path.as_uri()

    def close(self, uri: str) -> None:
        self.texts.pop(uri, None)

    def text(self, uri: str) -> str:
        return self.texts[uri]

    def focus(self, uri: str, offset: int) -> None:
        return None

    def replace(self, uri: str, start: int, end: int, new_text: str) -> None:
        text = self.texts[uri]
        self.texts[uri] = text[:start] + new_text + text[end:]

    def ask(self, uri: str, offset: int) -> tuple[asyncio.Future[str], Callable[[], None]]:
        raise NotImplementedError

    def cpu_s(self) -> float:
        return 0.0

    def peak_rss_mb(self) -> float:
        return 0.0

    def log(self) -> list[str]:
        return []

    @property
    def crashed(self) -> bool:
        return False

    async def stop(self) -> None:
        return None


class LookupEditor(InProcessEditor):
    """The no-model floor: at a line, the line that most often follows the line above
    elsewhere in the project, when it starts with what is typed; answered at once."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self._others: dict[str, NextLines] = {}

    def open(self, path: Path, text: str) -> str:
        if path.as_uri() not in self._others:
            others = [p.read_text(encoding="utf-8") for p in source_files(self.root) if p != path]
            self._others[path.as_uri()] = NextLines.of(others)
        return super().open(path, text)

    def ask(self, uri: str, offset: int) -> tuple[asyncio.Future[str], Callable[[], None]]:
        text = self.texts[uri]
        line_start = text.rfind("\n", 0, offset) + 1
        typed = text[line_start:offset].lstrip()
        above = next((x.strip() for x in reversed(text[:line_start].split("\n")) if x.strip()), "")
        counts = Counter(self._others[uri].follows.get(above, Counter()))
        counts += NextLines.of([text]).follows.get(above, Counter())
        answer = ""
        for line, _ in counts.most_common():
            if line.startswith(typed) and len(line) > len(typed):
                answer = line[len(typed) :]
                break
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        future.set_result(answer)
        return future, lambda: None


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


async def probe(editor: Editor, uri: str, task: Task, score: Score) -> None:
    """The first answer at a new place, and the answer there after IDLE_S of idle time."""
    editor.focus(uri, task.cursor)
    await asyncio.sleep(RESTING_S)
    _replace_changed(editor, uri, task.text)
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


def _replace_changed(editor: Editor, uri: str, new: str) -> None:
    """Make the document `new` with one change covering only what differs, as an editor's
    edit is sent."""
    old = editor.text(uri)
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[len(old) - 1 - end] == new[len(new) - 1 - end]:
        end += 1
    editor.replace(uri, start, len(old) - end, new[start : len(new) - end])


class Typist:
    """One task typed into an editor: the user's keys, what is on screen, the score."""

    def __init__(
        self, editor: Editor, uri: str, task: Task, profile: Profile, rng: random.Random,
        word: bool,
    ) -> None:  # fmt: skip
        self.editor, self.uri, self.task = editor, uri, task
        self.profile, self.rng, self.word = profile, rng, word
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
            self.editor.focus(self.uri, self.cursor)
            await asyncio.sleep(RESTING_S)
        _replace_changed(self.editor, self.uri, self.task.text)
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


Start = Callable[[Path], Awaitable[Editor]]


async def run_places(
    tasks: list[Task],
    starts: dict[str, Start],
    profile: Profile,
    seed: int,
    word: bool,
) -> dict[str, Score]:
    """Every task typed into each editor (`starts`: label → how to start one for a project),
    alternating editors task by task; the same key timings for each."""
    scores = {label: Score(label) for label in starts}
    projects = sorted({task.place.project for task in tasks})
    for project in projects:
        root = FRESH / project
        editors = {label: await start(root) for label, start in starts.items()}
        opened: dict[str, list[str]] = {label: [] for label in starts}
        cpu = {label: editor.cpu_s() for label, editor in editors.items()}
        try:
            for number, task in enumerate(t for t in tasks if t.place.project == project):
                path = (root / task.place.file).resolve()
                original = path.read_text(encoding="utf-8")
                for label, editor in editors.items():
                    uri = path.as_uri()
                    files = opened[label]
                    if uri in files:
                        files.remove(uri)
                    else:
                        editor.open(path, original)
                    files.append(uri)
                    if len(files) > OPEN_FILES:
                        editor.close(files.pop(0))
                    if task.scenario == "probe":
                        await probe(editor, uri, task, scores[label])
                    else:
                        rng = random.Random(seed * 1_000_003 + number)
                        typist = Typist(editor, uri, task, profile, rng, word)
                        await typist.run()
                        typist.add_to(scores[label])
                    _replace_changed(editor, uri, original)
                    await asyncio.sleep(0.3)  # between places, as between two jumps
        finally:
            for label, editor in editors.items():
                score = scores[label]
                score.cpu_s += editor.cpu_s() - cpu[label]
                score.peak_rss_mb = max(score.peak_rss_mb, editor.peak_rss_mb())
                score.crashed |= editor.crashed
                score.log += editor.log()
                await editor.stop()
    return scores


def tasks_for(places: list[Place], scenario: str) -> list[Task]:
    tasks = []
    for place in places:
        text = (FRESH / place.project / place.file).read_text(encoding="utf-8")
        if (task := make_task(place, text, scenario)) is not None:
            tasks.append(task)
    return tasks


def probe_table(rows: list[tuple[str, Score]]) -> str:
    out = [
        "| run | places | first answer p50 / p95 ms | first answer is the line % | "
        f"after {IDLE_S:.0f} s idle % | first ÷ after |",
        "|" + "---|" * 6,
    ]
    for label, s in rows:
        ordered = sorted(s.first_answer_s) or [math.nan]
        p50, p95 = (1000 * ordered[min(len(ordered) - 1, int(len(ordered) * f))]
                    for f in (0.5, 0.95))  # fmt: skip
        out.append(
            f"| {label} | {s.tasks} | {p50:.0f} / {p95:.0f} | "
            f"{100 * s.first_exact / max(1, s.tasks):.1f} | "
            f"{100 * s.later_exact / max(1, s.tasks):.1f} | "
            f"{s.first_exact / max(1, s.later_exact):.2f} |"
        )
    return "\n".join(out)


def table(rows: list[tuple[str, Score]]) -> str:
    out = [
        "| run | places | lines | keys saved % | lines accepted % | right on arrival % | "
        "wrong shown / line | suggestion latency p50 / p95 ms | CPU s / line | peak RSS MB |",
        "|" + "---|" * 10,
    ]
    for label, s in rows:
        lines = max(1, s.lines)
        out.append(
            f"| {label} | {s.tasks} | {s.lines} | {s.keys_saved:.1f} | "
            f"{100 * s.lines_accepted / lines:.1f} | {100 * s.right_on_arrival / lines:.1f} | "
            f"{s.wrong_shown / lines:.2f} | {s.latency_ms(0.5):.0f} / {s.latency_ms(0.95):.0f} | "
            f"{s.cpu_s / lines:.2f} | {s.peak_rss_mb:.0f} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=24, help="per scenario")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="test")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", choices=sorted(PROFILES), action="append", default=None)
    parser.add_argument("--scenario", choices=SCENARIOS, action="append", default=None)
    parser.add_argument("--accept", choices=("line", "word"), default="line")
    parser.add_argument("--busy", action="store_true", help="with one core busy instead")
    parser.add_argument("--lookup", action="store_true", help="also the no-model lookup")
    parser.add_argument(
        "--indexing",
        type=Path,
        default=None,
        metavar="DIR",
        help="each server also with DIR as a second workspace folder, whose index it builds "
        "afresh at each start (a big repository's first build while the user types); a DIR "
        f"that does not exist is made of {CORPUS_FILES:,} Python files of site-packages",
    )
    parser.add_argument(
        "--server",
        action="append",
        default=None,
        metavar="LABEL[=PYTHONPATH]",
        help="a server to measure, this checkout's or another's (repeatable; default: this)",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--setting", action="append", default=[], metavar="KEY=JSON")
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args(argv)
    settings: dict[str, Any] = {"model": args.model, "threads": args.threads}
    if args.models_dir is not None:
        settings["modelsDir"] = str(args.models_dir)
    for setting in args.setting:
        key, _, value = setting.partition("=")
        settings[key] = json.loads(value)

    starts: dict[str, Start] = {}
    servers = [server.partition("=") for server in args.server or ["this"]]
    for label, _, pythonpath in servers:
        starts[label] = server_start(settings, pythonpath or None)
    if args.indexing is not None:
        if not args.indexing.exists():
            copy_corpus(args.indexing, CORPUS_FILES)
        for label, _, pythonpath in servers:
            starts[f"{label}, indexing"] = server_start(settings, pythonpath or None, args.indexing)
    if args.lookup:
        starts["lookup"] = _lookup_start
    holes = json.loads((FRESH / "holes.json").read_text())
    places = choose_places(holes, args.split, args.places, args.seed)
    load = busy_core() if args.busy else None
    results: list[tuple[str, Score]] = []
    try:
        for profile_name in args.profile or ["realistic"]:
            for scenario in args.scenario or ["jump", "write"]:
                tasks = tasks_for(places, scenario)
                word = args.accept == "word"
                run = run_places(tasks, starts, PROFILES[profile_name], args.seed, word)
                scores = asyncio.run(run)
                for label, score in scores.items():
                    results.append((f"{label}, {profile_name}, {scenario}", score))
    finally:
        if load is not None:
            load.kill()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{args.threads} threads, {args.split} half, accept by {args.accept}"
        f"{', one core busy' if args.busy else ''}"
    )
    typed = [(label, score) for label, score in results if not label.endswith("probe")]
    probes = [(label, score) for label, score in results if label.endswith("probe")]
    if typed:
        print(table(typed))
    if probes:
        print(probe_table(probes))
    if args.json_out is not None:
        args.json_out.write_text(
            json.dumps([{"run": label, **asdict(score)} for label, score in results], indent=1)
        )
    return 0


def copy_corpus(folder: Path, count: int) -> None:
    """`count` Python files of this environment's site-packages (real code, none over 400 KB),
    copied under `folder` with their paths: a big repository to index."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    copied = 0
    for path in sorted(site_packages.rglob("*.py")):
        if copied >= count:
            break
        if path.stat().st_size > 400_000:
            continue
        target = folder / path.relative_to(site_packages)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied += 1


def server_start(
    settings: dict[str, Any], pythonpath: str | None, indexing: Path | None = None
) -> Start:
    async def start(root: Path) -> Editor:
        return await ServerEditor.start(root, settings, pythonpath, indexing)

    return start


async def _lookup_start(root: Path) -> Editor:
    return LookupEditor(root)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
