"""An embedded search index of the workspace: overlapping windows of every file the product
serves, found by the identifiers around the cursor with BM25 (tantivy, a search library in
process: nothing to run; one folder per workspace under the user's cache).

Why tantivy and not SQLite FTS5 (in the standard library), measured on the same 780,985
windows of 10,000 files (`python -m codegen_complete.measure.speed.index_time`, docs/benchmarks.md):
a query with every identifier OR-ed takes 5.4 ms p50 / 10.8 ms p95 in tantivy (top-k
pruning), 66 / 352 ms in FTS5 with the 12 rarest terms and 34 / 81 ms with 6 (FTS5 scores
every matching row); tantivy builds it in 4.6 s against 10.7 s, in 48 MB against 875 MB (the
window text is read back from the file, not stored).

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
import fcntl
import hashlib
import shutil
import sqlite3
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tantivy

from codegen_complete.context import languages
from codegen_complete.context.index.authored import why_skipped
from codegen_complete.context.index.windows import (
    Window,
    best_windows,
    identifiers,
    overlap,
    query_of,
    windows,
)
from codegen_complete.context.snippets import Snippet
from codegen_complete.context.source import SourceError, read_source
from codegen_complete.context.workspace import MAX_CONTEXT_FILE_BYTES, Workspace, resolved

SCHEMA_VERSION = 4
# Where workspace indexes live instead of the user cache (tests and measurements keep theirs
# apart with it).
INDEX_ENV = "CODEGEN_COMPLETE_INDEX"
# Words that stand in most windows of a language: their posting lists are the longest and
# their BM25 weight the smallest, so the search leaves them out (a third of its time at
# 10,000 files). The overlap that judges a window still counts them.
COMMON_WORDS = frozenset((
    "and", "as", "async", "await", "break", "case", "catch", "class", "const", "continue", "def",
    "default", "del", "elif", "else", "except", "export", "extends", "false", "finally", "for",
    "from", "function", "if", "import", "in", "is", "lambda", "let", "new", "none", "not",
    "null", "or", "pass", "raise", "return", "self", "static", "super", "this", "throw", "true",
    "try", "typeof", "undefined", "var", "while", "with", "yield",
))  # fmt: skip
# A refresh makes its work searchable every this many files (a commit costs milliseconds).
COMMIT_FILES = 500
# An index opened for searching only looks for another process's commits this often.
READER_RELOAD_S = 1.0
# The index stops growing here (~125 MB on disk, about 25,000 files of code): what is left out
# is reported, and completions go on with what is in.
MAX_WINDOWS = 2_000_000
WRITER_HEAP_BYTES = 32_000_000
SUFFIXES = tuple(sorted({suffix for spec in languages.SPECS for suffix in spec.extensions}))


@dataclass
class RefreshReport:
    indexed: int = 0  # files (re)read
    unchanged: int = 0
    removed: int = 0
    left_out: int = 0  # not reached within the budget
    found: int = 0  # files the walk found
    seconds: float = 0.0
    skipped: Counter[str] = field(default_factory=Counter)  # files left out, by reason
    examples: dict[str, str] = field(default_factory=dict)  # reason → one file it left out

    def skip(self, relative: str, reason: str) -> None:
        self.skipped[reason] += 1
        self.examples.setdefault(reason, relative)

    def describe(self) -> str:
        skipped = "".join(
            f", {count} skipped as {reason} (e.g. {self.examples[reason]})"
            for reason, count in self.skipped.most_common()
        )
        return (
            f"{self.indexed} files indexed, {self.unchanged} unchanged, {self.removed} removed"
            + skipped
            + (f", {self.left_out} left for later (budget)" if self.left_out else "")
            + f" in {self.seconds:.1f} s"
        )


@dataclass
class RepoIndex:
    """The index of one workspace, kept in `folder` (None: in memory only)."""

    root: Path
    folder: Path | None = None
    log: list[str] = field(default_factory=list)  # what happened that a user should know
    # False: search only, following what another process writes (the server while its
    # indexer process builds).
    writable: bool = True

    def __post_init__(self) -> None:
        self.workspace = Workspace(self.root)
        self.root = self.workspace.root
        self._lock = threading.Lock()
        self._lines_lock = threading.Lock()
        self._lines: OrderedDict[str, tuple[int, list[str]]] = OrderedDict()
        with self._opening():
            try:
                self._open()
            except (OSError, ValueError, sqlite3.DatabaseError) as error:
                # Corrupt, from another version, or unreadable: start afresh, never fail a
                # request.
                self.log.append(f"index {self.folder} unusable ({error}); rebuilding it")
                if self.folder is not None:
                    shutil.rmtree(self.folder, ignore_errors=True)
                self._open()

    @contextlib.contextmanager
    def _opening(self) -> Iterator[None]:
        """Held while the index is opened, created or rebuilt: the server and its indexer
        process (or two CLI runs) open a new workspace's index at the same moment, and
        without it one met the other's half-made SQLite file ("disk I/O error"), took it for
        corrupt and deleted the folder the other was filling. The lock file lives beside the
        folder, so that a rebuild's delete leaves it alone. Where the file system takes no
        lock (some network mounts), the index opens without one, as it always did."""
        lock = None
        if self.folder is not None:
            with contextlib.suppress(OSError):
                self.folder.parent.mkdir(parents=True, exist_ok=True)
                lock = self.folder.with_name(f".{self.folder.name}.lock").open("w")
                fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if lock is not None:
                lock.close()  # which releases the lock

    @classmethod
    def for_workspace(cls, root: Path, cache_dir: Path, writable: bool = True) -> RepoIndex:
        """The persistent index of `root`, kept under `cache_dir` (one folder per workspace)."""
        key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
        return cls(root, cache_dir / key, writable=writable)

    def _open(self) -> None:
        if self.folder is not None:
            (self.folder / "windows").mkdir(parents=True, exist_ok=True)
        files = ":memory:" if self.folder is None else str(self.folder / "files.sqlite")
        self._files = sqlite3.connect(files, check_same_thread=False, timeout=1.0)
        version = self._files.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            self._files.close()
            raise ValueError(f"schema version {version}")
        self._files.executescript(
            f"""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            PRAGMA user_version = {SCHEMA_VERSION};
            CREATE TABLE IF NOT EXISTS files (
                path TEXT PRIMARY KEY, size INT, mtime_ns INT,
                skipped TEXT  -- why the file has no windows; NULL: indexed
            );
            """
        )
        self._files.execute("SELECT count(*) FROM files").fetchone()  # fails if corrupt
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("idents", tokenizer_name="idents", index_option="freq")
        builder.add_text_field("path", stored=True, tokenizer_name="raw")
        builder.add_integer_field("start", stored=True)
        self._schema = builder.build()
        windows_folder = None if self.folder is None else str(self.folder / "windows")
        self._index = tantivy.Index(self._schema, path=windows_folder)
        # Identifiers whole (`_` is part of a name), case folded as the query is.
        self._index.register_tokenizer(
            "idents",
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
            .filter(tantivy.Filter.lowercase())
            .build(),
        )
        self._writer: tantivy.IndexWriter | None = None
        if self.writable:
            try:
                self._writer = self._index.writer(WRITER_HEAP_BYTES, 1)
            except ValueError as error:  # another process holds it: search what it writes
                self.log.append(f"index {self.folder} is kept by another process ({error}); "
                                "searching it without updating it")  # fmt: skip
                self.writable = False
        self._index.reload()
        self._reloaded = time.monotonic()
        self._windows = self._index.searcher().num_docs
        # Rows of the file table that wait for the windows' commit: a file is listed as
        # indexed only once its windows are on disk, so a kill at any moment loses nothing
        # (a file whose windows were committed and its row not is simply read again).
        self._pending: dict[str, tuple[int, int, str | None] | None] = {}

    # --- keeping it fresh -------------------------------------------------------------------

    def refresh(
        self,
        budget_s: float | None = None,
        max_files: int = 100_000,
        progress: Callable[[int, int], None] | None = None,
    ) -> RefreshReport:
        """Bring the index up to date with the disk: re-read what changed, drop what is gone.
        Newest files first: in a repository too big for `budget_s` seconds or `max_files`,
        what is being worked on is indexed now and the rest is left for the next call.
        `progress` gets (files done, files found) as it goes."""
        started = time.perf_counter()
        report = RefreshReport()
        with self._lock:
            known = {
                path: (size, mtime, skipped)
                for path, size, mtime, skipped in self._files.execute("SELECT * FROM files")
            }
        found = []
        for path in self.workspace.files(SUFFIXES):
            with contextlib.suppress(OSError):  # gone since the walk saw it
                found.append((path.relative_to(self.root).as_posix(), path, path.stat()))
        found.sort(key=lambda entry: -entry[2].st_mtime_ns)
        report.found = len(found)
        seen = {relative for relative, _, _ in found}  # left out is not gone
        written = 0  # files indexed or listed as skipped since the last commit
        for count, (relative, path, status) in enumerate(found):
            if progress is not None:
                progress(count, len(found))
            over_budget = budget_s is not None and time.perf_counter() - started > budget_s
            if over_budget or count >= max_files:
                report.left_out = len(found) - count
                break
            size, mtime = status.st_size, status.st_mtime_ns
            if (row := known.get(relative)) is not None and row[:2] == (size, mtime):
                if row[2] is None:
                    report.unchanged += 1
                else:
                    report.skip(relative, row[2])
                continue
            if self._windows >= MAX_WINDOWS:
                # Not listed as skipped: read again once there is room.
                report.skip(relative, f"over the index's cap ({MAX_WINDOWS:,} windows)")
                continue
            text, reason = self._read(path, size)
            if text is None:
                self._skip_file(relative, size, mtime, reason)
                report.skip(relative, reason)
            else:
                self._index_file(relative, text, size, mtime)
                report.indexed += 1
            written += 1
            if written % COMMIT_FILES == 0:
                self._commit()
        for relative in set(known) - seen:
            self._index_file(relative, None)
            report.removed += 1
        self._commit()
        if progress is not None:
            progress(len(found) - report.left_out, len(found))
        report.seconds = time.perf_counter() - started
        return report

    def update(self, path: Path) -> None:
        """Re-read one file from disk (saved, created, changed or deleted outside the editor)."""
        real = resolved(path)
        if real is None or not real.is_relative_to(self.root):
            return  # outside the workspace, or no file can be there
        relative = real.relative_to(self.root).as_posix()
        try:
            status = path.stat()
        except OSError:
            status = None
        if status is None or path.suffix not in SUFFIXES or not self.workspace.allowed(path):
            self._index_file(relative, None)
        else:
            text, reason = self._read(path, status.st_size)
            if text is None:
                self._skip_file(relative, status.st_size, status.st_mtime_ns, reason)
            else:
                self._index_file(relative, text, status.st_size, status.st_mtime_ns)
        self._commit()

    def _read(self, path: Path, size: int) -> tuple[str | None, str]:
        """(the text to index, "") or (None, why the file is left out), for a file the
        workspace allows (its walk, or `update`, checked that already)."""
        if size > MAX_CONTEXT_FILE_BYTES:
            return None, f"larger than {MAX_CONTEXT_FILE_BYTES // 1024} KB"
        try:
            text = read_source(path)
        except (OSError, SourceError):
            return None, "unreadable or not UTF-8 text"
        if reason := why_skipped(path, text):
            return None, reason
        return text, ""

    def _index_file(
        self, relative: str, text: str | None, size: int = 0, mtime_ns: int = 0
    ) -> None:
        """Replace the windows of `relative` with those of `text` (None: the file is gone)."""
        with self._lock:
            if self._writer is None:
                return
            self._writer.delete_documents_by_term("path", relative)
            if text is None:
                self._pending[relative] = None
                return
            for window in windows(text):
                names = " ".join(identifiers(window.searched))
                self._writer.add_document(
                    tantivy.Document(idents=names, path=relative, start=window.start)
                )
                self._windows += 1
            self._pending[relative] = (size, mtime_ns, None)

    def _skip_file(self, relative: str, size: int, mtime_ns: int, reason: str) -> None:
        """List the file as left out (so that the next refresh does not read it again while
        it is unchanged), without windows."""
        with self._lock:
            if self._writer is None:
                return
            self._writer.delete_documents_by_term("path", relative)
            self._pending[relative] = (size, mtime_ns, reason)

    def _commit(self) -> None:
        """Make the windows written so far searchable, then list their files: in this order,
        the file table never names a file whose windows a crash lost."""
        with self._lock:
            if self._writer is not None:
                self._writer.commit()
            pending, self._pending = self._pending, {}
            with self._files:
                self._files.executemany(
                    "DELETE FROM files WHERE path = ?",
                    [(relative,) for relative, row in pending.items() if row is None],
                )
                self._files.executemany(
                    "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
                    [(relative, *row) for relative, row in pending.items() if row is not None],
                )
            self._index.reload()
            self._windows = self._index.searcher().num_docs

    # --- searching --------------------------------------------------------------------------

    def search(self, before: str, exclude: Iterable[str] = (), limit: int = 3) -> list[Snippet]:
        """The windows most like the lines above the cursor (`before` is the text up to it),
        best first; none from the `exclude`d paths (the current file, open buffers), none
        below MIN_OVERLAP."""
        query = query_of(before)
        if not query:
            return []
        should = [
            (tantivy.Occur.Should, self._term(name))
            for name in sorted({name.lower() for name in query} - COMMON_WORDS)
        ]
        if not should:
            return []
        candidates = []
        for path, lines, start in self._hits(should, exclude, 2 * limit):
            window = Window(lines, start)
            candidates.append(Snippet(path, window.shown, start, overlap(query, window)))
        return best_windows(candidates, limit)

    def windows_with(
        self,
        names: Sequence[str],
        exclude: Iterable[str] = (),
        limit: int = 32,
        any_of: Sequence[str] = (),
    ) -> list[tuple[str, list[str], int]]:
        """Windows whose lines hold every identifier in `names` and one of `any_of` (when
        given), case folded: for each, its file's path, the file's lines and the window's
        first line; none from the `exclude`d paths."""
        must = [(tantivy.Occur.Must, self._term(name)) for name in names]
        if any_of:
            either = [(tantivy.Occur.Should, self._term(word)) for word in any_of]
            must.append((tantivy.Occur.Must, tantivy.Query.boolean_query(either)))
        return self._hits(must, exclude, limit)

    def _hits(
        self, clauses: list[tuple[tantivy.Occur, tantivy.Query]], exclude: Iterable[str], limit: int
    ) -> list[tuple[str, list[str], int]]:
        """The best `limit` windows for the query `clauses`, none from the `exclude`d paths:
        each window's file path, the file's lines (read back from the disk) and its start."""
        must_not = [
            (tantivy.Occur.MustNot, tantivy.Query.term_query(self._schema, "path", path))
            for path in set(exclude)
        ]
        with self._lock:
            if not self.writable and time.monotonic() - self._reloaded > READER_RELOAD_S:
                self._index.reload()  # what the indexer process committed since
                self._reloaded = time.monotonic()
            searcher = self._index.searcher()
            query = tantivy.Query.boolean_query([*clauses, *must_not])
            found = [searcher.doc(address) for _, address in searcher.search(query, limit).hits]
        windows_found = []
        for document in found:
            path, start = document["path"][0], document["start"][0]
            lines = self._file_lines(path)
            if lines is not None:
                windows_found.append((path, lines, start))
        return windows_found

    def _term(self, word: str) -> tantivy.Query:
        """The query for one identifier (the index folds case)."""
        return tantivy.Query.term_query(self._schema, "idents", word.lower())

    def _file_lines(self, relative: str) -> list[str] | None:
        """The lines of an indexed file, read back from the disk (the index keeps only where
        its windows start); a few files are kept, since consecutive searches share them."""
        path = self.root / relative
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        with self._lines_lock:
            cached = self._lines.get(relative)
            if cached is not None and cached[0] == mtime:
                self._lines.move_to_end(relative)
                return cached[1]
        text = self.workspace.read(path)
        if text is None:
            return None
        lines = text.split("\n")
        with self._lines_lock:
            self._lines[relative] = (mtime, lines)
            if len(self._lines) > 32:
                self._lines.popitem(last=False)
        return lines

    def last_written(self) -> float:
        """When the index was last written (a time.time() value; now for one in memory)."""
        if self.folder is None:
            return time.time()
        return (self.folder / "files.sqlite").stat().st_mtime

    def indexed_paths(self) -> set[str]:
        with self._lock:
            rows = self._files.execute("SELECT path FROM files WHERE skipped IS NULL")
            return {row[0] for row in rows}

    def stats(self) -> tuple[int, int, int]:
        """(files, windows, bytes on disk)."""
        with self._lock:
            files = self._files.execute(
                "SELECT count(*) FROM files WHERE skipped IS NULL"
            ).fetchone()[0]
            windows_count = self._index.searcher().num_docs
        size = 0
        if self.folder is not None:
            size = sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
        return files, windows_count, size

    def close(self) -> None:
        with contextlib.suppress(ValueError, sqlite3.Error):
            self._commit()
        with self._lock:
            if self._writer is not None:
                with contextlib.suppress(ValueError):
                    self._writer.wait_merging_threads()
                self._writer = None
            self._files.close()
