"""Where the typing benchmark types, and what: places drawn from the fresh suite's holes, each
made a task (the document as the user finds it, the cursor, the text to type back)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from codegen_complete.measure.quality.fresh import FRESH, round_robin

WRITE_LINES = 3  # a write task types up to this many consecutive lines


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
    return round_robin(by_project, count)


def tasks_for(places: list[Place], scenario: str) -> list[Task]:
    tasks = []
    for place in places:
        text = (FRESH / place.project / place.file).read_text(encoding="utf-8")
        if (task := make_task(place, text, scenario)) is not None:
            tasks.append(task)
    return tasks
