"""What the model is shown from other files: the definitions the current file imports and
windows of open or recently edited files that look like the code above the cursor."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path

from tree_sitter import Tree

from codegen_complete.context.crossfile import imported_definitions
from codegen_complete.context.edits import EditedRegion, edit_snippets
from codegen_complete.context.index.repo import RepoIndex
from codegen_complete.context.index.windows import best_windows, search_text
from codegen_complete.context.snippets import Snippet, similar_snippets
from codegen_complete.context.workspace import Workspace, resolved

# The lines around the cursor that the prompt shows anyway (its window of about 576 tokens
# before the cursor and 192 after): the current file's own windows there are not retrieved.
PROMPT_LINES_ABOVE = 64
PROMPT_LINES_BELOW = 24
RETRIEVED_WINDOWS = 3
EDITED_REGIONS = 3  # the newest places the user edited, shown first
# A bounded walk for `recent_files`: in a huge tree, the first files found stand in for the rest.
RECENT_SCAN_LIMIT = 2000


def gather_context(
    text: str,
    offset: int,
    path: Path,
    root: Path,
    tree: Tree | None = None,
    neighbours: Sequence[tuple[Path, str]] | None = None,
    index: RepoIndex | None = None,
    edits: Sequence[EditedRegion] = (),
) -> tuple[Snippet, ...]:
    """What other files tell about the cursor, most relevant first: the places the user
    edited lately (`edits`, newest first, in this file beyond the prompt's reach or in the
    open ones), the windows of the repository `index` and of the current file beyond the
    prompt's reach most like the lines above the cursor (the index's copy of the current
    file and of the open ones is not used: their text in the editor wins), the definitions
    the file imports, then windows of `neighbours` (open or recently edited files; by
    default the workspace's most recently modified files of the same language) similar to
    those lines. Paths are relative to the workspace root; `tree` is the document's."""
    root = root.resolve()
    path = path.resolve()
    workspace = Workspace(root)
    snippets: list[Snippet] = []
    line = text.count("\n", 0, offset)
    near = range(line - PROMPT_LINES_ABOVE, line + PROMPT_LINES_BELOW)
    # Open buffers follow the workspace's rules too: a secret-looking or ignored file the
    # user opened is never shown (the prompt may go to a remote server).
    real = [(r, t) for p, t in neighbours or () if (r := resolved(p)) is not None]
    shown = [(p, t) for p, t in real if p != path and workspace.may_show(p)]
    if edits:
        # First: on replayed commits (docs/quality.md), after the retrieved windows they
        # rarely fitted the budget and changed nothing; first, they gained 7 holes, lost 2.
        texts = dict(shown)
        texts[path] = text
        snippets += edit_snippets(edits, texts, path, near, root)[:EDITED_REGIONS]
    if index is not None:
        # Then: a probe on held-out 2025 repositories found the gain in windows that hold
        # the line to write, and none in imported definitions.
        exclude = {
            p.relative_to(root).as_posix()
            for p in [path, *(p for p, _ in real)]
            if workspace.contains(p)
        }
        current = path.relative_to(root).as_posix() if workspace.contains(path) else path.name
        found = index.search(text[:offset], exclude, RETRIEVED_WINDOWS)
        found += search_text(text[:offset], text, current, near, RETRIEVED_WINDOWS)
        snippets += best_windows(found, RETRIEVED_WINDOWS)
    snippets += [
        Snippet(d.path.resolve().relative_to(root).as_posix(), d.summary, d.order)
        for d in imported_definitions(text, offset, path, workspace, tree)
    ]
    others = recent_files(workspace, path) if neighbours is None else shown
    documents = [(p.relative_to(root).as_posix(), t) for p, t in others]
    snippets += similar_snippets(text[:offset], documents)
    return tuple(snippets)


def recent_files(workspace: Workspace, current: Path, count: int = 8) -> list[tuple[Path, str]]:
    """The workspace files of the current one's language modified most recently (a stand-in
    for "recently edited" when no editor says which files are open)."""
    suffixes = (current.suffix,) if current.suffix else ()
    candidates = [
        p
        for p in itertools.islice(workspace.files(suffixes), RECENT_SCAN_LIMIT)
        if p.resolve() != current
    ]
    candidates.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
    found = []
    for candidate in candidates[:count]:
        text = workspace.read(candidate)
        if text is not None:
            found.append((candidate.resolve(), text))
    return found


# A place is a block of this many lines: while the cursor stays in one, its context stays.
PLACE_LINES = 16


class PlaceMemo:
    """The context gathered at each place, kept while the cursor stays there.

    The context opens the prompt: if it changed at a keystroke (the lines above the cursor
    rank the snippets, and they change as the user types), the model would re-read the whole
    prompt instead of the few tokens typed. So the context found when the cursor first comes
    to a block of PLACE_LINES lines is reused while it stays in that block; the least recently
    used places are forgotten.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._places: OrderedDict[Hashable, tuple[Snippet, ...]] = OrderedDict()

    def get(
        self,
        text: str,
        offset: int,
        document: Hashable,
        gather: Callable[[], tuple[Snippet, ...]],
    ) -> tuple[Snippet, ...]:
        """The context at `offset` of `document` (anything naming the document and what it
        is read with, e.g. its path and the other open files): remembered, or `gather()`."""
        key = (document, text.count("\n", 0, offset) // PLACE_LINES)
        if key in self._places:
            self._places.move_to_end(key)
            return self._places[key]
        found = self._places[key] = gather()
        if len(self._places) > self.size:
            self._places.popitem(last=False)
        return found
