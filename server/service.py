"""The completion service behind the LSP handlers: documents, scheduling, the model, a cache.

Protocol-free: handlers convert LSP params to the plain calls here and the results back.
- Documents are kept as `context.documents.Document`s, edited incrementally.
- One worker thread runs the model; the event loop never does. A request takes an immutable
  snapshot (text, cursor, settings) on the loop; the worker sees only that.
- The newest request for a document supersedes older ones. Their generation goes on while
  the keys typed since agree with what it writes, and answers the newest request then (the
  user types the suggestion before it is shown); it stops at the next token when they
  disagree. A cancelled LSP request stops it the same way, after a short grace for the next
  key's request (an editor cancels the previous request before it sends the next).
- Typing the characters the last suggestion starts with is answered from that suggestion.
- In idle time after a one-line suggestion, the worker prepares the next one: the suggestion
  for the document as it will be once the user has taken it and pressed Enter (the editor's
  auto-indent guessed by context.enter). Arriving there is answered at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from codegen_complete.completion.backend import BackendUnavailableError
from codegen_complete.completion.completer import Completer
from codegen_complete.completion.options import Options
from codegen_complete.completion.remote.endpoint import Health
from codegen_complete.completion.suggest import DocumentSnapshot, suggest, warm
from codegen_complete.context.classify import FINISHED_LINE, Mode, classify
from codegen_complete.context.documents import Document
from codegen_complete.context.edits import EditLog, changed_lines
from codegen_complete.context.enter import indent_after_enter
from codegen_complete.context.gather import PlaceMemo
from codegen_complete.context.index.repo import INDEX_ENV, RepoIndex
from codegen_complete.context.workspace import resolved
from codegen_complete.models.load import load
from codegen_complete.models.store import ModelError, cache_home
from codegen_complete.server.indexing import IndexBuild, ModelWorker
from codegen_complete.server.positions import (
    offset_to_utf16,
    position_in_text,
    utf16_to_offset,
)
from codegen_complete.server.settings import Settings


@dataclass(frozen=True)
class EditorSuggestion:
    text: str  # to insert at the cursor
    line: int  # LSP position of the cursor
    character: int
    from_cache: bool = False
    # Where the text it replaces ends (closers the editor typed ahead); None: at the cursor.
    end_character: int | None = None


def _end(text: str, offset: int, replaced: str) -> int | None:
    """The UTF-16 character where the closers a suggestion replaces end, when they are still
    right after the cursor (typing through `)` passes over an editor's closer); else None."""
    if not replaced or not text.startswith(replaced, offset):
        return None
    return offset_to_utf16(text, offset + len(replaced))[1]


@dataclass(frozen=True)
class Answer:
    """A request's outcome and the log line that explains it."""

    suggestion: EditorSuggestion | None
    log: str


@dataclass(frozen=True)
class Snapshot:
    """What the worker needs, copied on the event loop."""

    uri: str
    document: DocumentSnapshot
    options: Options
    explicit: bool
    ticket: Ticket  # its cancellation
    # The generation of an earlier key that this request waits for: the user typed what it
    # was writing.
    run: Run | None = None
    # The first request on its line: the user has just arrived (a jump, Enter), not typing on.
    new_line: bool = False

    @property
    def offset(self) -> int:
        return self.document.offset

    def describe(self) -> str:
        line, character = offset_to_utf16(self.document.text, self.document.offset)
        kind = "invoked" if self.explicit else "automatic"
        return f"#{self.ticket.number} {self.uri}:{line + 1}:{character + 1} {kind}"


@dataclass
class Ticket:
    """Cancellation of one request: superseded, or cancelled by the client."""

    number: int
    cancelled: threading.Event = field(default_factory=threading.Event)
    superseded: bool = False


# A run whose newest request the client cancelled goes on this long, for the request of the
# next key to take it over: editors cancel the previous request before sending the next one.
ORPHAN_GRACE_S = 0.5


@dataclass
class Run:
    """One generation on the worker, which the requests of later keys take over while the
    user types what it writes: they extend its text before the cursor, leave the text after
    it alone, and agree with what the model has written so far."""

    number: int  # the ticket of the request that started it
    before: str  # the document up to the cursor, when it started
    after: str
    owner: int  # the ticket of the newest request waiting for it
    future: Future[Answer] | None = None
    started: bool = False
    finished: bool = False
    written: str = ""  # the model's text after the cursor so far (the worker updates it)
    typed: str = ""  # what the newest request typed after `before`
    stopped: threading.Event = field(default_factory=threading.Event)
    orphaned_at: float | None = None

    def typed_since(self, text: str, offset: int) -> str | None:
        """What was typed since the run started, when `text` with the cursor at `offset`
        only extends its text before the cursor; else None."""
        before = text[:offset]
        if before.startswith(self.before) and text[offset:] == self.after:
            return before[len(self.before) :]
        return None

    def agrees(self, typed: str) -> bool:
        written = self.written
        return written.startswith(typed) or typed.startswith(written)

    def cancelled(self) -> bool:
        """Whether the generation should stop: nobody can use what it writes any more."""
        if self.stopped.is_set() or not self.agrees(self.typed):
            return True
        orphaned = self.orphaned_at
        return orphaned is not None and time.monotonic() - orphaned > ORPHAN_GRACE_S

    def progress(self, written: str) -> None:
        self.written = written


# The indexer process goes on once the model has been idle this long (typing keeps it paused:
# keys come every ~170 ms), and its pause is checked this often.
BUILD_RESUME_QUIET_S = 0.5
PACE_S = 0.05


def index_cache_dir() -> Path:
    """Where workspace indexes live: $CODEGEN_COMPLETE_INDEX, else $XDG_CACHE_HOME (or
    ~/.cache)/codegen-complete/index."""
    if folder := os.environ.get(INDEX_ENV):
        return Path(folder)
    return cache_home() / "index"


def path_of(uri: str) -> Path | None:
    """The file a `file://` URI names; None for other schemes (untitled buffers, ...) and
    for a name no file can have (no path, a NUL byte, a symlink loop): such a document is
    completed as an untitled buffer, and nothing else sees its name."""
    if not uri.startswith("file://"):
        return None
    path = Path(unquote(urlparse(uri).path))
    if not path.is_absolute() or resolved(path) is None:
        return None
    return path


class CompletionService:
    def __init__(self, settings: Settings, roots: list[Path] | None = None) -> None:
        self.settings = settings
        self.roots = [root.resolve() for root in roots or []]
        self.documents: dict[str, Document] = {}
        self._executor = ModelWorker()
        self._completer: Completer | None = None
        self._latest: dict[str, Ticket] = {}
        self._runs: dict[str, Run] = {}  # the newest generation per document
        self._request_lines: dict[str, int] = {}  # the line of the last request per document
        self._tickets = 0
        # Per document: the text before the cursor, the suggestion there, and the closers
        # after the cursor that it replaces.
        self._last: dict[str, tuple[str, str, str]] = {}
        # Per document: the suggestion prepared for the line after the last suggestion, as
        # (text before the cursor, text after it, suggestion, closers it replaces).
        self._next: dict[str, tuple[str, str, str, str]] = {}
        self._places = PlaceMemo()  # only the worker thread uses it
        self.edits = EditLog()  # where the user changed the open documents lately
        # Requests submitted and not started: warming the cache yields to them.
        self._waiting = 0
        self._waiting_lock = threading.Lock()
        self._closing = False
        # The search index of each workspace root, once `index_workspaces` has opened it.
        self.indexes: dict[Path, RepoIndex] = {}
        self._builds: dict[Path, IndexBuild] = {}  # the indexer process of each root
        self._saved_while_building: dict[Path, set[Path]] = {}
        self.warnings: list[str] = []  # about the settings of the last load

    # --- the model ---------------------------------------------------------------------------

    def load(self) -> str | None:
        """Load the model (on the worker thread); the error message when it cannot be.
        `warnings` then holds what the user should know about the settings."""
        settings = self.settings

        def work() -> str | None:
            models_dir = Path(settings.models_dir) if settings.models_dir else None
            try:
                remote = settings.remote()
                completer = load(
                    models_dir, settings.model, settings.threads, remote, settings.remote_fallback
                )
            except (ModelError, ValueError) as error:
                return str(error)  # the model loaded before, if any, goes on serving
            if self._completer is not None:
                self._completer.close()
            self._completer = completer
            self.warnings = remote.warnings() if remote is not None else []
            return None

        return self._executor.submit(work).result()

    @property
    def ready(self) -> bool:
        return self._completer is not None

    def check_remote(self) -> None:
        """Contact the remote server, if one is set, so that its health is known before the
        first request (slow work: it waits for the server up to its timeout)."""
        completer = self._completer
        if completer is not None and completer.remote is not None:
            completer.remote.check()

    def health(self) -> Health | None:
        """The remote backend's state; None with the local one."""
        return self._completer.health if self._completer is not None else None

    # --- documents ---------------------------------------------------------------------------

    def open(self, uri: str, text: str, language_id: str | None) -> None:
        path = path_of(uri)
        self.documents[uri] = Document.open(text, str(path) if path else uri, language_id)

    def change(self, uri: str, changes: list[tuple[tuple[int, int, int, int] | None, str]]) -> None:
        """Apply LSP content changes: ((start line, start char, end line, end char) in UTF-16,
        new text), or (None, whole text)."""
        document = self.documents.get(uri)
        if document is None:
            return
        path = path_of(uri)
        for change_range, new_text in changes:
            if change_range is None:
                if path is not None and (lines := changed_lines(document.text, new_text)):
                    self.edits.record(path, *lines)
                self.documents[uri] = document = Document(new_text, document.spec)
                continue
            start = utf16_to_offset(document.text, change_range[0], change_range[1])
            end = utf16_to_offset(document.text, change_range[2], change_range[3])
            document.edit(start, max(start, end), new_text)
            if path is not None:
                first, old_last = change_range[0], max(change_range[0], change_range[2])
                self.edits.record(path, first, old_last, first + new_text.count("\n"))

    def close(self, uri: str) -> None:
        self.documents.pop(uri, None)
        if (path := path_of(uri)) is not None:
            self.edits.forget(path)  # its text is no longer known
        self._last.pop(uri, None)
        self._next.pop(uri, None)
        self._request_lines.pop(uri, None)
        if ticket := self._latest.pop(uri, None):
            ticket.cancelled.set()
        if run := self._runs.pop(uri, None):
            run.stopped.set()

    # --- the workspace index ------------------------------------------------------------------

    def index_workspaces(
        self,
        cache_dir: Path,
        say: Callable[[str], None],
        progress: Callable[[Path, int, int], None] = lambda root, done, total: None,
    ) -> str:
        """Bring each root's index up to date, whole, in an indexer process of its own (slow:
        for a thread of its own, which only waits). Meanwhile completions search what the
        index held already and what the build commits. `say` gets the log lines, `progress`
        (root, files done, files found); the summary is returned."""
        summaries = []
        for root in self.roots:
            if self._closing:
                break
            # Opened first, for searching only: the indexer process writes.
            self.indexes[root] = reader = RepoIndex.for_workspace(root, cache_dir, writable=False)
            for line in reader.log:
                say(line)
            build = self._builds[root] = IndexBuild(root, cache_dir)
            pacing = threading.Thread(target=self._pace, args=(build,), daemon=True)
            pacing.start()
            built = build.follow(functools.partial(progress, root), say)
            if self._closing:
                break
            # Searching and updating now: files saved during the build are read again.
            self.indexes[root] = writer = RepoIndex.for_workspace(root, cache_dir)
            reader.close()
            for path in self._saved_while_building.pop(root, set()):
                writer.update(path)
            files, windows, size = writer.stats()
            say(f"index of {root}: {built.report or 'not finished'}; {files} files, "
                f"{windows} windows, {size / 1e6:.1f} MB")  # fmt: skip
            summaries.append(f"{built.done:,} of {built.total:,} files")
        return ", ".join(summaries)

    def _pace(self, build: IndexBuild) -> None:
        """Pause the indexer process while the model works (a request, or idle-time warming
        after it) and for BUILD_RESUME_QUIET_S after; it builds while the user rests."""
        while build.process.poll() is None and not self._closing:
            build.pause(self._executor.quiet_for() < BUILD_RESUME_QUIET_S)
            time.sleep(PACE_S)
        build.pause(False)

    def file_changed(self, uri: str) -> None:
        """A file was saved, created, changed or deleted on disk: re-read it into its index
        (after the build, when one runs)."""
        path = path_of(uri)
        root = self._root_for(path)
        if path is None or root is None or root not in self.indexes:
            return
        index = self.indexes[root]
        if index.writable:
            index.update(path)
        else:
            self._saved_while_building.setdefault(root, set()).add(path)

    # --- requests ----------------------------------------------------------------------------

    def _root_for(self, path: Path | None) -> Path | None:
        if path is None:
            return None
        real = resolved(path)
        for root in self.roots:
            if real is not None and real.is_relative_to(root):
                return root
        return None

    def snapshot(self, uri: str, line: int, character: int, explicit: bool) -> Snapshot | Answer:
        """The request's immutable view, or the answer when there is nothing to complete."""
        where = f"{uri}:{line + 1}:{character + 1}"
        document = self.documents.get(uri)
        if document is None:
            return Answer(None, f"{where}: not an open document")
        enabled = self.settings.enabled_languages
        if enabled and (
            document.spec is None or not any(lang in enabled for lang in document.spec.lsp_ids)
        ):
            return Answer(None, f"{where}: language not in enabledLanguages")
        if line >= 0 and character >= 0 and not position_in_text(document.text, line, character):
            return Answer(None, f"{where}: past the end of the document")
        offset = utf16_to_offset(document.text, line, character)
        classification = classify(document, offset, explicit)
        if classification.mode is Mode.SKIP:
            if classification.reason == FINISHED_LINE:  # Enter comes next: prepare that line
                at = self._document_at(uri, document, offset, Mode.SINGLE_LINE)
                self._prepare_soon(Snapshot(uri, at, self.settings.options(), False, Ticket(0)), "")
            return Answer(None, f"{where}: skipped, {classification.reason}")
        self._tickets += 1
        previous = self._latest.get(uri)
        if previous is not None and not previous.cancelled.is_set():
            previous.superseded = True
            previous.cancelled.set()
        ticket = self._latest[uri] = Ticket(self._tickets)
        run = self._take_over(uri, document.text, offset, ticket)
        new_line = self._request_lines.get(uri) != line
        self._request_lines[uri] = line
        return Snapshot(
            uri=uri,
            document=self._document_at(uri, document, offset, classification.mode),
            options=self.settings.options(),
            explicit=explicit,
            ticket=ticket,
            run=run,
            new_line=new_line,
        )

    def _document_at(
        self, uri: str, document: Document, offset: int, mode: Mode
    ) -> DocumentSnapshot:
        path = path_of(uri)
        open_documents = tuple(
            (other_path, other.text)
            for other_uri, other in self.documents.items()
            if other_uri != uri and (other_path := path_of(other_uri)) is not None
        )
        return DocumentSnapshot(
            text=document.text,
            offset=offset,
            mode=mode,
            language=document.spec,
            path=path,
            root=(root := self._root_for(path)),
            index=self.indexes.get(root) if root is not None else None,
            tree=document.tree.copy() if document.tree is not None else None,
            open_documents=open_documents,
            recent_edits=self.edits.regions(),
        )

    def focus(self, uri: str, line: int, character: int) -> str:
        """The user is at this place (a buffer focused, the cursor moved) and has not typed
        yet: the worker warms, when idle, the full prompt for the end of the cursor's line.

        The end of the line, not the cursor: the prompt begins with the text after the
        cursor, which is then the same whether the user appends to the line, opens the next
        one or rewrites this one (`A`, `o`, `cc` in Vim): the first request there finds
        all but its last tokens cached. The log line says what was done."""
        where = f"{uri}:{line + 1}:{character + 1}"
        document = self.documents.get(uri)
        if document is None or self._completer is None:
            return f"{where}: focus, nothing to warm (not open, or no model)"
        if not position_in_text(document.text, line, character):
            return f"{where}: focus past the end of the document"
        offset = utf16_to_offset(document.text, line, character)
        line_end = document.text.find("\n", offset)
        offset = len(document.text) if line_end < 0 else line_end
        at = self._document_at(uri, document, offset, Mode.SINGLE_LINE)
        with contextlib.suppress(RuntimeError):  # the executor is shutting down
            self._executor.submit(self._warm_place, at)
        return f"{where}: focus, warming the prompt at the end of its line"

    def _busy(self) -> bool:
        """Whether idle-time work (warming, preparing) must give way: a request is waiting
        or the server is shutting down."""
        return self._waiting > 0 or self._closing

    def _warm_place(self, document: DocumentSnapshot) -> None:
        completer = self._completer
        if completer is None or self._busy():
            return
        with contextlib.suppress(BackendUnavailableError):
            warm(completer, document, self.settings.options(), self._busy, self._places)

    def _take_over(self, uri: str, text: str, offset: int, ticket: Ticket) -> Run | None:
        """The document's running generation, when the new request can wait for it (the keys
        typed since agree with what it writes); else it is stopped."""
        run = self._runs.get(uri)
        if run is None or run.finished:
            return None
        typed = run.typed_since(text, offset)
        # Nothing typed since is a request asked again at the same place (invoked, or the
        # editor refreshing), not the user typing on: it starts afresh, as it always did.
        if not typed or not run.started or not run.agrees(typed):
            run.stopped.set()
            return None
        run.typed, run.owner, run.orphaned_at = typed, ticket.number, None
        return run

    def is_current(self, snapshot: Snapshot) -> bool:
        return self._latest.get(snapshot.uri) is snapshot.ticket and (
            not snapshot.ticket.cancelled.is_set()
        )

    def running(self, uri: str) -> Run | None:
        """The document's newest generation (it may have finished)."""
        return self._runs.get(uri)

    def cancel(self, snapshot: Snapshot) -> None:
        """The client cancelled the request: its generation stops, unless the request of the
        next key takes it over within the grace period."""
        snapshot.ticket.cancelled.set()
        run = self._runs.get(snapshot.uri)
        if run is not None and run.owner == snapshot.ticket.number and not run.finished:
            run.orphaned_at = time.monotonic()

    def from_cache(self, snapshot: Snapshot) -> Answer | None:
        """The rest of the last suggestion when the user typed its first characters, or the
        suggestion prepared for the place the user has arrived at."""
        if (prepared := self._from_prepared(snapshot)) is not None:
            return prepared
        last = self._last.get(snapshot.uri)
        if last is None:
            return None
        previous_before, suggestion, replaced = last
        # Typing nothing since is not typing the suggestion: asked again there, the model runs.
        if snapshot.document.text[: snapshot.offset] == previous_before:
            return None
        return _rest_of(snapshot, previous_before, suggestion, replaced, "from the last suggestion")

    def _from_prepared(self, snapshot: Snapshot) -> Answer | None:
        prepared = self._next.get(snapshot.uri)
        if prepared is None:
            return None
        before, after, suggestion, replaced = prepared
        if snapshot.document.text[snapshot.offset :] != after:
            return None
        answer = _rest_of(snapshot, before, suggestion, replaced, "prepared")
        if answer is not None:
            self._last[snapshot.uri] = (before, suggestion, replaced)  # typing on goes from it
        return answer

    def prepare_after(self, snapshot: Snapshot, answer: Answer) -> None:
        """Have the worker prepare the suggestion after `answer`'s, when it is idle (an
        answer from the cache: the model's answers do it themselves)."""
        if answer.suggestion is not None:
            self._prepare_soon(snapshot, answer.suggestion.text)

    def _prepare_soon(self, snapshot: Snapshot, suggestion: str) -> None:
        """Have the worker prepare the line after `suggestion` (taken, then Enter) when idle."""
        if self._predicted(snapshot, suggestion) is None:
            return
        with contextlib.suppress(RuntimeError):  # the executor is shutting down
            self._executor.submit(self._prepare, snapshot, suggestion)

    def _predicted(self, snapshot: Snapshot, suggestion: str) -> tuple[str, int] | None:
        """The document once the user has taken the one-line `suggestion` and pressed Enter,
        and the cursor there; None where nothing is to be prepared (a block, the cursor
        before other text on its line, the same place prepared already)."""
        document = snapshot.document
        text, offset = document.text, document.offset
        line_end = text.find("\n", offset)
        line_end = len(text) if line_end < 0 else line_end
        if "\n" in suggestion or document.mode is not Mode.SINGLE_LINE:
            return None
        if text[offset:line_end].strip():
            return None
        line_start = text.rfind("\n", 0, offset) + 1
        indent = indent_after_enter(text[line_start:offset] + suggestion, text, document.language)
        inserted = suggestion + "\n" + indent
        prepared = self._next.get(snapshot.uri)
        before = text[:offset] + inserted
        if prepared is not None and prepared[0] == before:
            return None
        return text[:offset] + inserted + text[offset:], offset + len(inserted)

    def _prepare(self, snapshot: Snapshot, suggestion: str) -> None:
        """Idle time: the suggestion for the line after `suggestion`, kept for `from_cache`."""
        completer = self._completer
        if completer is None or self._busy():
            return
        predicted = self._predicted(snapshot, suggestion)
        if predicted is None:
            return
        text, offset = predicted
        document = Document(text, snapshot.document.language)
        classification = classify(document, offset)
        if classification.mode is Mode.SKIP:
            return
        there = dataclasses.replace(
            snapshot.document, text=text, offset=offset, mode=classification.mode,
            tree=document.tree, received=time.perf_counter(),
        )  # fmt: skip
        try:
            with completer.keeping_warm():
                result = suggest(completer, there, snapshot.options, self._busy, self._places)
        except BackendUnavailableError:
            return
        generated = result.continuation
        if not result.text or (generated is not None and generated.stop_reason == "cancelled"):
            return
        replaced = text[offset : offset + result.replaces]
        self._next[snapshot.uri] = (text[:offset], text[offset:], result.text, replaced)

    def submit(self, snapshot: Snapshot) -> Future[Answer]:
        """Run the model for `snapshot` on the worker thread."""
        document = snapshot.document
        number = snapshot.ticket.number
        run = Run(number, document.text[: document.offset], document.text[document.offset :],
                  number)  # fmt: skip
        if (previous := self._runs.get(snapshot.uri)) is not None:
            previous.stopped.set()
        self._runs[snapshot.uri] = run
        with self._waiting_lock:
            self._waiting += 1
        run.future = self._executor.submit(self._answer, snapshot, run)
        return run.future

    def _answer(self, snapshot: Snapshot, run: Run) -> Answer:
        with self._waiting_lock:
            self._waiting -= 1
        run.started = True
        try:
            answer = self._complete(snapshot, run)
        finally:
            run.finished = True
        # Idle time after an answer prepares the next line, then warms the full prompt of a
        # place that got a small one.
        with contextlib.suppress(RuntimeError):  # the executor is shutting down
            if answer.suggestion is not None:
                self._prepare_soon(snapshot, answer.suggestion.text)
            self._executor.submit(self._warm)
        return answer

    def _warm(self) -> None:
        if self._completer is not None:
            self._completer.warm(self._busy)

    def _complete(self, snapshot: Snapshot, run: Run) -> Answer:
        ticket = snapshot.ticket
        completer = self._completer
        if completer is None:
            return Answer(None, f"{snapshot.describe()}: no model loaded")
        if ticket.cancelled.is_set():
            return Answer(None, f"{snapshot.describe()}: {_why_dropped(ticket)} while queued")
        try:
            result = suggest(
                completer, snapshot.document, snapshot.options, run.cancelled, self._places,
                run.progress,
            )  # fmt: skip
        except BackendUnavailableError as error:
            return Answer(None, f"{snapshot.describe()}: the server cannot answer: {error}")
        generated = result.continuation
        if generated is None:
            return self._answered(
                snapshot, result.text, result.replaces,
                f"{snapshot.describe()}: an import the file is missing, {result.total_ms:.0f} ms",
            )  # fmt: skip
        report = (
            f"{snapshot.describe()}: {result.mode.value}, prompt {generated.prompt_tokens} tokens "
            f"({generated.reused_tokens} reused), context {len(result.context_files)} files "
            f"{result.context_ms:.0f} ms, {'small ' if result.small_prompt else ''}"
            f"prefill {generated.prefill_ms:.0f} ms, decode {generated.generated_tokens} tokens "
            f"{generated.decode_ms:.0f} ms, stop {generated.stop_reason}, "
            f"total {result.total_ms:.0f} ms"
        )
        if result.unresolved:  # what the name check found, and what it did
            report += f", name check {result.name_check} ({', '.join(result.unresolved)})"
        if ticket.cancelled.is_set():
            if result.text and generated.stop_reason != "cancelled":
                # The user typed on, in agreement: this answers the request of the last key.
                self._remember(snapshot, result.text, result.replaces)
                return Answer(None, f"{report}: {_why_dropped(ticket)}, kept for #{run.owner}")
            return Answer(None, f"{report}: {_why_dropped(ticket)}")
        if not result.text:
            if generated.stop_reason == "time_limit":
                why = "time limit"
            elif result.unsure:
                why = f"the model was unsure, line probability {result.line_probability:.2f}"
            elif result.name_check == "dropped":
                why = "it reads names that resolve nowhere"
            elif generated.text.strip():
                why = "post-processing dropped it"
            else:
                why = "the model wrote nothing"
            return Answer(None, f"{report}: nothing to suggest ({why})")
        return self._answered(
            snapshot, result.text, result.replaces,
            f"{report}: {len(result.text.splitlines() or [''])} lines",
        )  # fmt: skip

    def _remember(self, snapshot: Snapshot, suggestion: str, replaces: int) -> str:
        """Keep `suggestion` so that typing it on costs nothing; the closers it replaces."""
        text, offset = snapshot.document.text, snapshot.offset
        replaced = text[offset : offset + replaces]
        self._last[snapshot.uri] = (text[:offset], suggestion, replaced)
        return replaced

    def _answered(self, snapshot: Snapshot, suggestion: str, replaces: int, report: str) -> Answer:
        """The answer that shows `suggestion`, remembered so that typing it on costs nothing."""
        text, offset = snapshot.document.text, snapshot.offset
        replaced = self._remember(snapshot, suggestion, replaces)
        line, character = offset_to_utf16(text, offset)
        end = _end(text, offset, replaced)
        return Answer(EditorSuggestion(suggestion, line, character, False, end), report)

    def shutdown(self) -> None:
        if self._closing:
            return  # the client's `shutdown`, then the end of its stream
        self._closing = True
        for build in self._builds.values():
            build.stop()
        for index in self.indexes.values():
            index.close()
        for ticket in self._latest.values():
            ticket.cancelled.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._completer is not None:
            self._completer.close()


def _rest_of(
    snapshot: Snapshot, before: str, suggestion: str, replaced: str, source: str
) -> Answer | None:
    """The rest of `suggestion` (made where the text before the cursor was `before`) when the
    user has typed only its first characters since; None otherwise."""
    text, offset = snapshot.document.text, snapshot.offset
    if not text.startswith(before) or offset < len(before):
        return None
    typed = text[len(before) : offset]
    if not suggestion.startswith(typed) or len(suggestion) <= len(typed):
        return None
    line, character = offset_to_utf16(text, offset)
    rest = suggestion[len(typed) :]
    return Answer(
        EditorSuggestion(rest, line, character, True, _end(text, offset, replaced)),
        f"{snapshot.describe()}: {source}, {len(rest)} characters",
    )


def _why_dropped(ticket: Ticket) -> str:
    return "superseded by a newer request" if ticket.superseded else "cancelled"
