"""Windows of lines, and how much of the code above the cursor a window shares: what the
repository index stores and scores, and what open files are searched with."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from codegen_complete.context.snippets import Snippet

WINDOW_LINES = 10
WINDOW_STEP = 5
# A window is found by its own lines and shown with the lines that follow them: the line to
# write is the one after the lines that look like those above the cursor.
FOLLOWING_LINES = 5
SHOWN_LINES = WINDOW_LINES + FOLLOWING_LINES
# The query: identifiers of the lines just above the cursor.
QUERY_LINES = 10
# Below this share of the query's identifiers found in a window, it is not shown: a window that
# shares only common names (self, return, value) says nothing about the line to write.
MIN_OVERLAP = 0.3
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def identifiers(text: str) -> list[str]:
    return IDENTIFIER.findall(text)


@dataclass(frozen=True, eq=False)
class Window:
    """The window of a file's `lines` that starts at line `start`."""

    lines: list[str]
    start: int

    @functools.cached_property  # read to skip blank windows, then to index or score them
    def searched(self) -> str:
        """Its WINDOW_LINES lines: what a query is matched against."""
        return "\n".join(self.lines[self.start : self.start + WINDOW_LINES])

    @property
    def shown(self) -> str:
        """Those and FOLLOWING_LINES more: what the model is shown."""
        return "\n".join(self.lines[self.start : self.start + SHOWN_LINES])


def windows(text: str) -> list[Window]:
    """The overlapping windows of a file, blank ones left out."""
    lines = text.split("\n")
    steps = range(0, max(1, len(lines) - WINDOW_LINES + WINDOW_STEP), WINDOW_STEP)
    return [window for start in steps if (window := Window(lines, start)).searched.strip()]


def query_of(before: str) -> set[str]:
    """The identifiers of the lines above the cursor (`before` is the text up to it)."""
    return set(identifiers("\n".join(before.split("\n")[-QUERY_LINES:])))


def overlap(query: set[str], window: Window) -> float:
    """The share of the query's identifiers that the window's searched lines hold."""
    return len(query & set(identifiers(window.searched))) / len(query)


def best_windows(candidates: Iterable[Snippet], limit: int) -> list[Snippet]:
    """The `limit` best-scored candidates, none below MIN_OVERLAP and no two overlapping
    windows of one file (they would say the same thing twice)."""
    found: list[Snippet] = []
    for candidate in sorted(candidates, key=lambda snippet: -snippet.score):
        if candidate.score < MIN_OVERLAP:
            break
        if any(s.path == candidate.path and abs(s.order - candidate.order) < SHOWN_LINES
               for s in found):  # fmt: skip
            continue
        found.append(candidate)
        if len(found) == limit:
            break
    return found


def search_text(before: str, text: str, path: str, skip: range, limit: int = 3) -> list[Snippet]:
    """The windows of one text held in memory (the current buffer, whose unsaved text wins
    over the index's copy) most like the lines above the cursor, leaving out the windows
    that touch the lines in `skip` (those the prompt already shows)."""
    query = query_of(before)
    if not query:
        return []
    scored = (
        (window, overlap(query, window))
        for window in windows(text)
        if window.start + SHOWN_LINES <= skip.start or window.start >= skip.stop
    )
    # Only windows that can be chosen get their text joined (a long buffer has thousands).
    candidates = (
        Snippet(path, window.shown, window.start, score)
        for window, score in scored
        if score >= MIN_OVERLAP
    )
    return best_windows(candidates, limit)
