"""Similar code from other open or recently edited files: sliding windows ranked by Jaccard
similarity of their identifiers to the lines just above the cursor.

Code repeats itself across files (the same calls, the same shapes of loops); a window that
looks like what is being typed often shows what comes next.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

WINDOW_LINES = 12
WINDOW_STEP = 6
QUERY_LINES = 12
MIN_SIMILARITY = 0.25
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Snippet:
    """Code from another file to show the model: a window of similar code, or the summary of
    a definition the current file imports. The one type from gathering to prompt packing."""

    path: str  # relative to the workspace root
    text: str
    order: int = 0  # position in its file (a line or byte offset): packing keeps file order
    score: float = 0.0  # how well it matches the cursor's surroundings (windows only)


def _identifiers(text: str) -> frozenset[str]:
    return frozenset(IDENTIFIER.findall(text))


@functools.lru_cache(maxsize=256)
def _windows(text: str) -> tuple[tuple[int, str, frozenset[str]], ...]:
    """(start line, text, identifiers) of each window; cached per text, since the other
    files rarely change between keystrokes."""
    lines = text.split("\n")
    windows = []
    for start in range(0, max(1, len(lines) - WINDOW_LINES + WINDOW_STEP), WINDOW_STEP):
        chunk = "\n".join(lines[start : start + WINDOW_LINES])
        if chunk.strip():
            windows.append((start, chunk, _identifiers(chunk)))
    return tuple(windows)


def similar_snippets(
    before: str, documents: Sequence[tuple[str, str]], limit: int = 3
) -> list[Snippet]:
    """The `limit` windows of `documents` ((path, text) pairs, not the current file) most
    similar to the last lines before the cursor, best first; none below MIN_SIMILARITY."""
    query = _identifiers("\n".join(before.split("\n")[-QUERY_LINES:]))
    if not query:
        return []
    scored = []
    for path, text in documents:
        for start, chunk, names in _windows(text):
            union = len(query | names)
            similarity = len(query & names) / union if union else 0.0
            if similarity >= MIN_SIMILARITY:
                scored.append(Snippet(path, chunk, start, similarity))
    scored.sort(key=lambda snippet: -snippet.score)
    chosen: list[Snippet] = []
    for snippet in scored:
        # Overlapping windows of one file say the same thing twice.
        if all(
            s.path != snippet.path or abs(s.order - snippet.order) >= WINDOW_LINES for s in chosen
        ):
            chosen.append(snippet)
        if len(chosen) == limit:
            break
    return chosen
