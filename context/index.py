"""An embedded search index of the workspace: overlapping windows of every file the product
serves, found by the identifiers around the cursor with BM25 (SQLite FTS5, in Python's standard
library: nothing to install, nothing to run, one file per workspace).

New code repeats its own idioms: the same call with the same arguments, the same guard, the
same logging line elsewhere in the repository. The model can copy such a line only if it is
in the prompt, so the index finds the windows most like the code above the cursor.

The index follows the files: `refresh` re-reads only files whose size or modification time
changed since they were indexed and drops files that are gone, and `update` re-reads one file
(on save, or when the editor reports a change on disk). The workspace rules apply: nothing
outside the root, ignored, secret-looking, in a dependency folder or too large is read.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from codegen_complete.context import languages
from codegen_complete.context.snippets import Snippet
from codegen_complete.context.workspace import Workspace

SCHEMA_VERSION = 2
WINDOW_LINES = 10
WINDOW_STEP = 5
# A window is found by its own lines and shown with the lines that follow them: the line to
# write is the one after the lines that look like those above the cursor.
FOLLOWING_LINES = 5
SHOWN_LINES = WINDOW_LINES + FOLLOWING_LINES
# The query: identifiers of the lines just above the cursor, at most this many of the rarest.
QUERY_LINES = 10
QUERY_TERMS = 12
# Below this share of the query's identifiers found in a window, it is not shown: a window that
# shares only common names (self, return, value) says nothing about the line to write.
MIN_OVERLAP = 0.3
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SUFFIXES = tuple(sorted({suffix for spec in languages.SPECS for suffix in spec.extensions}))


def identifiers(text: str) -> list[str]:
    return IDENTIFIER.findall(text)


@dataclass(frozen=True)
class Window:
    start: int  # its first line
    searched: str  # WINDOW_LINES lines: what a query is matched against
    shown: str  # those and FOLLOWING_LINES more: what the model is shown


def windows(text: str) -> list[Window]:
    """The overlapping windows of a file, blank ones left out."""
    lines = text.split("\n")
    found = []
    for start in range(0, max(1, len(lines) - WINDOW_LINES + WINDOW_STEP), WINDOW_STEP):
        searched = "\n".join(lines[start : start + WINDOW_LINES])
        if searched.strip():
            found.append(Window(start, searched, "\n".join(lines[start : start + SHOWN_LINES])))
    return found


def query_of(before: str) -> set[str]:
    """The identifiers of the lines above the cursor (`before` is the text up to it)."""
    return set(identifiers("\n".join(before.split("\n")[-QUERY_LINES:])))


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
    candidates = (
        Snippet(
            path,
            window.shown,
            window.start,
            len(query & set(identifiers(window.searched))) / len(query),
        )
        for window in windows(text)
        if window.start + SHOWN_LINES <= skip.start or window.start >= skip.stop
    )
    return best_windows(candidates, limit)


@dataclass
class RefreshReport:
    indexed: int = 0  # files (re)read
    unchanged: int = 0
    removed: int = 0
    left_out: int = 0  # not reached within the budget
    seconds: float = 0.0

    def describe(self) -> str:
        return (
            f"{self.indexed} files indexed, {self.unchanged} unchanged, {self.removed} removed"
            + (f", {self.left_out} left for later (budget)" if self.left_out else "")
            + f" in {self.seconds:.1f} s"
        )


@dataclass
class RepoIndex:
    """The index of one workspace, in `database` (a file, or ":memory:")."""

    root: Path
    database: str = ":memory:"
    log: list[str] = field(default_factory=list)  # what happened that a user should know

    def __post_init__(self) -> None:
        self.workspace = Workspace(self.root)
        self.root = self.workspace.root
        self._lock = threading.Lock()
        self._connection = self._connect()

    @classmethod
    def for_workspace(cls, root: Path, cache_dir: Path) -> RepoIndex:
        """The persistent index of `root`, kept under `cache_dir` (one file per workspace)."""
        key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
        cache_dir.mkdir(parents=True, exist_ok=True)
        return cls(root, str(cache_dir / f"{key}.sqlite"))

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = self._open()
        except sqlite3.DatabaseError as error:
            # A corrupt, foreign or locked file: start afresh rather than fail a completion.
            self.log.append(f"index {self.database} unusable ({error}); rebuilding it")
            if self.database != ":memory:":
                with contextlib.suppress(OSError):
                    Path(self.database).unlink()
            connection = self._open()
        return connection

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.database, check_same_thread=False, timeout=1.0)
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            connection.close()
            raise sqlite3.DatabaseError(f"schema version {version}")
        # A cache: a commit need not wait for the disk (a power cut costs a re-read of the
        # files changed last, which `refresh` does anyway), and one sync per file was most of
        # the build time.
        connection.executescript(
            f"""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA user_version = {SCHEMA_VERSION};
            CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INT, mtime_ns INT);
            CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5(
                idents, path UNINDEXED, start UNINDEXED, text UNINDEXED,
                tokenize = "unicode61 tokenchars '_'"
            );
            CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5vocab(chunks, 'row');
            """
        )
        connection.execute("SELECT count(*) FROM chunks").fetchone()  # fails if corrupt
        return connection

    # --- keeping it fresh -------------------------------------------------------------------

    def refresh(self, budget_s: float | None = None, max_files: int = 100_000) -> RefreshReport:
        """Bring the index up to date with the disk: re-read what changed, drop what is gone.
        Files not reached within `budget_s` seconds or `max_files` are left for the next call."""
        started = time.perf_counter()
        report = RefreshReport()
        with self._lock:
            known = dict(
                (path, (size, mtime))
                for path, size, mtime in self._connection.execute("SELECT * FROM files")
            )
        seen: set[str] = set()
        for path in self.workspace.files(SUFFIXES):
            relative = path.relative_to(self.root).as_posix()
            over_budget = budget_s is not None and time.perf_counter() - started > budget_s
            if over_budget or len(seen) >= max_files:
                report.left_out += 1
                seen.add(relative)  # not seen is not gone
                continue
            seen.add(relative)
            status = path.stat()
            if known.get(relative) == (status.st_size, status.st_mtime_ns):
                report.unchanged += 1
                continue
            self._index(relative, self.workspace.read(path), status.st_size, status.st_mtime_ns)
            report.indexed += 1
        for relative in set(known) - seen:
            self._forget(relative)
            report.removed += 1
        report.seconds = time.perf_counter() - started
        return report

    def update(self, path: Path) -> None:
        """Re-read one file from disk (saved, created, changed or deleted outside the editor)."""
        try:
            relative = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return  # outside the workspace
        text = self.workspace.read(path) if path.suffix in SUFFIXES else None
        if text is None:
            self._forget(relative)
        else:
            status = path.stat()
            self._index(relative, text, status.st_size, status.st_mtime_ns)

    def _index(self, relative: str, text: str | None, size: int, mtime_ns: int) -> None:
        rows = [
            (" ".join(identifiers(window.searched)), relative, window.start, window.shown)
            for window in windows(text or "")
        ]
        with self._lock, self._connection as connection:
            connection.execute("DELETE FROM chunks WHERE path = ?", (relative,))
            connection.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?)", rows)
            connection.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?)", (relative, size, mtime_ns)
            )

    def _forget(self, relative: str) -> None:
        with self._lock, self._connection as connection:
            connection.execute("DELETE FROM chunks WHERE path = ?", (relative,))
            connection.execute("DELETE FROM files WHERE path = ?", (relative,))

    # --- searching --------------------------------------------------------------------------

    def search(self, before: str, exclude: Iterable[str] = (), limit: int = 3) -> list[Snippet]:
        """The windows most like the lines above the cursor (`before` is the text up to it),
        best first; none from the `exclude`d paths (the current file, open buffers), none
        below MIN_OVERLAP."""
        query = query_of(before)
        if not query:
            return []
        excluded = set(exclude)
        # The tokenizer folds case: the vocabulary holds `mcptoolcallrequest`, not the name.
        terms = sorted({name.lower() for name in query})
        with self._lock:
            marks = ",".join("?" * len(terms))
            counts = self._connection.execute(
                f"SELECT term, doc FROM terms WHERE term IN ({marks})", terms
            ).fetchall()
            rare = [term for term, _ in sorted(counts, key=lambda row: row[1])][:QUERY_TERMS]
            if not rare:
                return []
            match = " OR ".join(f'"{term}"' for term in rare)
            rows = self._connection.execute(
                "SELECT path, start, text, idents FROM chunks WHERE chunks MATCH ? "
                "ORDER BY bm25(chunks) LIMIT ?",
                (match, 4 * limit + len(excluded)),
            ).fetchall()
        candidates = (
            Snippet(path, text, start, len(query & set(idents.split())) / len(query))
            for path, start, text, idents in rows
            if path not in excluded
        )
        return best_windows(candidates, limit)

    def indexed_paths(self) -> set[str]:
        with self._lock:
            return {row[0] for row in self._connection.execute("SELECT path FROM files")}

    def stats(self) -> tuple[int, int, int]:
        """(files, windows, bytes on disk)."""
        with self._lock:
            files = self._connection.execute("SELECT count(*) FROM files").fetchone()[0]
            chunks = self._connection.execute("SELECT count(*) FROM chunks").fetchone()[0]
        size = Path(self.database).stat().st_size if self.database != ":memory:" else 0
        return files, chunks, size

    def close(self) -> None:
        with self._lock:
            self._connection.close()
