"""Where the user changed code lately, in this file and in the other open ones: the places
an editor's recent edits point to, to show the model next to the code being written.

A change in one file is often followed by its counterpart in another (a new field and the
code that reads it, a renamed call and its callers), and the lines just written elsewhere in
the same file repeat their idioms. The log keeps the newest regions, in the documents' own
line numbers, shifted as lines are inserted or deleted above them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from codegen_complete.context.snippets import Snippet

REGIONS = 8  # the newest edited regions kept, across documents
MERGE_GAP = 3  # edits this many lines apart or closer are one region
CONTEXT_LINES = 2  # shown around a region, above and below
SHOWN_LINES = 16  # at most, ending with the region's last line (where the user stopped)


@dataclass(frozen=True)
class EditedRegion:
    path: Path
    first: int  # 0-based lines of the document as it is now, inclusive
    last: int


class EditLog:
    """The REGIONS most recently edited regions, newest first."""

    def __init__(self, size: int = REGIONS) -> None:
        self.size = size
        self._regions: list[EditedRegion] = []

    def record(self, path: Path, first: int, old_last: int, new_last: int) -> None:
        """Lines `first`..`old_last` of `path` became lines `first`..`new_last`."""
        shift = new_last - old_last
        touched = EditedRegion(path, first, new_last)
        kept: list[EditedRegion] = []
        for region in self._regions:
            if region.path != path or region.last + MERGE_GAP < first:
                kept.append(region)
            elif region.first > old_last + MERGE_GAP:  # below: moved by the change
                kept.append(replace(region, first=region.first + shift, last=region.last + shift))
            else:  # next to it: one region, the newest
                # Its lines inside the change are gone or replaced; those below it moved.
                last = region.last + shift if region.last > old_last else min(region.last, new_last)
                touched = EditedRegion(
                    path, min(touched.first, region.first), max(touched.last, last)
                )
        self._regions = [touched, *kept][: self.size]

    def forget(self, path: Path) -> None:
        self._regions = [r for r in self._regions if r.path != path]

    def regions(self) -> tuple[EditedRegion, ...]:
        return tuple(self._regions)


def changed_lines(old: str, new: str) -> tuple[int, int, int] | None:
    """For a client that sends the whole text: (first, old last, new last) lines that differ
    between `old` and `new`, as `EditLog.record` takes them; None when nothing did."""
    if old == new:
        return None
    a, b = old.split("\n"), new.split("\n")
    first = 0
    while first < min(len(a), len(b)) and a[first] == b[first]:
        first += 1
    same_tail = 0
    while same_tail < min(len(a), len(b)) - first and a[-1 - same_tail] == b[-1 - same_tail]:
        same_tail += 1
    old_last, new_last = len(a) - 1 - same_tail, len(b) - 1 - same_tail
    if old_last < first or new_last < first:
        # Lines only inserted or only deleted: the line after them takes part, as in an LSP
        # change that ends at its start, so that the lines below move by the right amount.
        old_last, new_last = old_last + 1, new_last + 1
    return first, old_last, new_last


def edit_snippets(
    regions: Sequence[EditedRegion],
    texts: Mapping[Path, str],
    current: Path,
    near: range,
    root: Path,
) -> list[Snippet]:
    """The text of each edited region, newest first, from `texts` (the documents as they are
    now, by resolved path), leaving out the current file's lines in `near` (the prompt shows
    them) and files outside `root`."""
    snippets: list[Snippet] = []
    for region in regions:
        path = region.path.resolve()
        text = texts.get(path)
        if text is None:
            continue
        lines = text.split("\n")
        last = min(region.last + CONTEXT_LINES, len(lines) - 1)
        first = max(region.first - CONTEXT_LINES, 0, last - SHOWN_LINES + 1)
        if path == current and first < near.stop and last >= near.start:
            continue
        shown = "\n".join(lines[first : last + 1])
        if not shown.strip():
            continue
        try:
            name = path.relative_to(root).as_posix()
        except ValueError:
            continue  # outside the workspace: not shown, as everywhere else
        snippets.append(Snippet(name, shown, first))
    return snippets
