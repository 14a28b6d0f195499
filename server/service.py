"""The completion service behind the LSP handlers: documents, scheduling, the model, a cache.

Protocol-free: handlers convert LSP params to the plain calls here and the results back.
- Documents are kept as `context.documents.Document`s, edited incrementally.
- One worker thread runs the model; the event loop never does. A request takes an immutable
  snapshot (text, cursor, settings) on the loop; the worker sees only that.
- The newest request for a document supersedes older ones: they stop at the next token.
  A cancelled LSP request stops the same way.
- Typing the characters the last suggestion starts with is answered from that suggestion.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from codegen_complete.completion.backend import BackendUnavailableError
from codegen_complete.completion.completer import Completer
from codegen_complete.completion.endpoint import Health
from codegen_complete.completion.options import Options
from codegen_complete.completion.suggest import DocumentSnapshot, suggest
from codegen_complete.context.classify import Mode, classify
from codegen_complete.context.documents import Document
from codegen_complete.context.edits import EditLog, changed_lines
from codegen_complete.context.gather import PlaceMemo
from codegen_complete.context.index import RepoIndex
from codegen_complete.models.load import load
from codegen_complete.models.store import ModelError, cache_home
from codegen_complete.server.positions import (
    offset_to_utf16,
    position_in_text,
    utf16_to_offset,
)
from codegen_complete.server.settings import Settings

# A workspace's first index build stops after this long (the rest waits for the next start);
# huge repositories still open quickly.
INDEX_BUDGET_S = 60.0


@dataclass(frozen=True)
class Suggestion:
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

    suggestion: Suggestion | None
    log: str


@dataclass(frozen=True)
class Snapshot:
    """What the worker needs, copied on the event loop."""

    uri: str
    document: DocumentSnapshot
    options: Options
    explicit: bool
    ticket: Ticket  # its cancellation

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


# Where workspace indexes live instead of the user cache (tests keep theirs apart with it).
INDEX_ENV = "CODEGEN_COMPLETE_INDEX"


def index_cache_dir() -> Path:
    """Where workspace indexes live: $CODEGEN_COMPLETE_INDEX, else $XDG_CACHE_HOME (or
    ~/.cache)/codegen-complete/index."""
    if folder := os.environ.get(INDEX_ENV):
        return Path(folder)
    return cache_home() / "index"


def path_of(uri: str) -> Path | None:
    """The file a `file://` URI names; None for other schemes (untitled buffers, ...)."""
    if not uri.startswith("file://"):
        return None
    return Path(unquote(urlparse(uri).path))


class CompletionService:
    def __init__(self, settings: Settings, roots: list[Path] | None = None) -> None:
        self.settings = settings
        self.roots = [root.resolve() for root in roots or []]
        self.documents: dict[str, Document] = {}
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="completion")
        self._completer: Completer | None = None
        self._latest: dict[str, Ticket] = {}
        self._tickets = 0
        # Per document: the text before the cursor, the suggestion there, and the closers
        # after the cursor that it replaces.
        self._last: dict[str, tuple[str, str, str]] = {}
        self._places = PlaceMemo()  # only the worker thread uses it
        self.edits = EditLog()  # where the user changed the open documents lately
        # Requests submitted and not started: warming the cache yields to them.
        self._waiting = 0
        self._waiting_lock = threading.Lock()
        self._closing = False
        # The search index of each workspace root, once `index_workspaces` has opened it.
        self.indexes: dict[Path, RepoIndex] = {}
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
        if ticket := self._latest.pop(uri, None):
            ticket.cancelled.set()

    # --- the workspace index ------------------------------------------------------------------

    def index_workspaces(self, cache_dir: Path, say: Callable[[str], None]) -> None:
        """Open each root's index (from the cache) and bring it up to date: slow work, for a
        thread of its own. Completions do not wait for it: until a root's index is ready they
        go without. `say` gets one line per root."""
        for root in self.roots:
            index = RepoIndex.for_workspace(root, cache_dir)
            for line in index.log:
                say(line)
            report = index.refresh(budget_s=INDEX_BUDGET_S)
            self.indexes[root] = index
            files, windows, size = index.stats()
            say(
                f"index of {root}: {report.describe()}; {files} files, {windows} windows, "
                f"{size / 1e6:.1f} MB"
            )

    def file_changed(self, uri: str) -> None:
        """A file was saved, created, changed or deleted on disk: re-read it into its index."""
        path = path_of(uri)
        root = self._root_for(path)
        if path is not None and root is not None and root in self.indexes:
            self.indexes[root].update(path)

    # --- requests ----------------------------------------------------------------------------

    def _root_for(self, path: Path | None) -> Path | None:
        if path is None:
            return None
        for root in self.roots:
            if path.resolve().is_relative_to(root):
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
            return Answer(None, f"{where}: skipped, {classification.reason}")
        self._tickets += 1
        previous = self._latest.get(uri)
        if previous is not None and not previous.cancelled.is_set():
            previous.superseded = True
            previous.cancelled.set()
        ticket = self._latest[uri] = Ticket(self._tickets)
        path = path_of(uri)
        open_documents = tuple(
            (other_path, other.text)
            for other_uri, other in self.documents.items()
            if other_uri != uri and (other_path := path_of(other_uri)) is not None
        )
        return Snapshot(
            uri=uri,
            document=DocumentSnapshot(
                text=document.text,
                offset=offset,
                mode=classification.mode,
                language=document.spec,
                path=path,
                root=(root := self._root_for(path)),
                index=self.indexes.get(root) if root is not None else None,
                tree=document.tree.copy() if document.tree is not None else None,
                open_documents=open_documents,
                recent_edits=self.edits.regions(),
            ),
            options=self.settings.options(),
            explicit=explicit,
            ticket=ticket,
        )

    def is_current(self, snapshot: Snapshot) -> bool:
        return self._latest.get(snapshot.uri) is snapshot.ticket and (
            not snapshot.ticket.cancelled.is_set()
        )

    def cancel(self, snapshot: Snapshot) -> None:
        snapshot.ticket.cancelled.set()

    def from_cache(self, snapshot: Snapshot) -> Answer | None:
        """The rest of the last suggestion when the user typed its first characters."""
        last = self._last.get(snapshot.uri)
        if last is None:
            return None
        text, offset = snapshot.document.text, snapshot.offset
        previous_before, suggestion, replaced = last
        before = text[:offset]
        if not before.startswith(previous_before):
            return None
        typed = before[len(previous_before) :]
        if typed and suggestion.startswith(typed) and len(suggestion) > len(typed):
            line, character = offset_to_utf16(text, offset)
            rest = suggestion[len(typed) :]
            return Answer(
                Suggestion(rest, line, character, True, _end(text, offset, replaced)),
                f"{snapshot.describe()}: from the last suggestion, {len(rest)} characters",
            )
        return None

    def submit(self, snapshot: Snapshot) -> Future[Answer]:
        """Run the model for `snapshot` on the worker thread."""
        with self._waiting_lock:
            self._waiting += 1
        return self._executor.submit(self._answer, snapshot)

    def _answer(self, snapshot: Snapshot) -> Answer:
        with self._waiting_lock:
            self._waiting -= 1
        answer = self._complete(snapshot)
        # Idle time after an answer warms the full prompt of a place that got a small one.
        with contextlib.suppress(RuntimeError):  # the executor is shutting down
            self._executor.submit(self._warm)
        return answer

    def _warm(self) -> None:
        if self._completer is not None:
            self._completer.warm(lambda: self._waiting > 0 or self._closing)

    def _complete(self, snapshot: Snapshot) -> Answer:
        ticket = snapshot.ticket
        completer = self._completer
        if completer is None:
            return Answer(None, f"{snapshot.describe()}: no model loaded")
        if ticket.cancelled.is_set():
            return Answer(None, f"{snapshot.describe()}: {_why_dropped(ticket)} while queued")
        try:
            result = suggest(
                completer, snapshot.document, snapshot.options, ticket.cancelled.is_set,
                self._places,
            )  # fmt: skip
        except BackendUnavailableError as error:
            return Answer(None, f"{snapshot.describe()}: the server cannot answer: {error}")
        run = result.continuation
        if run is None:
            return self._answered(
                snapshot, result.text, result.replaces,
                f"{snapshot.describe()}: an import the file is missing, {result.total_ms:.0f} ms",
            )  # fmt: skip
        report = (
            f"{snapshot.describe()}: {result.mode.value}, prompt {run.prompt_tokens} tokens "
            f"({run.reused_tokens} reused), context {len(result.context_files)} files "
            f"{result.context_ms:.0f} ms, {'small ' if result.small_prompt else ''}"
            f"prefill {run.prefill_ms:.0f} ms, decode "
            f"{run.generated_tokens} tokens {run.decode_ms:.0f} ms, stop {run.stop_reason}, "
            f"total {result.total_ms:.0f} ms"
        )
        if result.unresolved:  # what the name check found, and what it did
            report += f", name check {result.name_check} ({', '.join(result.unresolved)})"
        if ticket.cancelled.is_set():
            return Answer(None, f"{report}: {_why_dropped(ticket)}")
        if not result.text:
            if run.stop_reason == "time_limit":
                why = "time limit"
            elif result.name_check == "dropped":
                why = "it reads names that resolve nowhere"
            elif run.text.strip():
                why = "post-processing dropped it"
            else:
                why = "the model wrote nothing"
            return Answer(None, f"{report}: nothing to suggest ({why})")
        return self._answered(
            snapshot, result.text, result.replaces,
            f"{report}: {len(result.text.splitlines() or [''])} lines",
        )  # fmt: skip

    def _answered(self, snapshot: Snapshot, suggestion: str, replaces: int, report: str) -> Answer:
        """The answer that shows `suggestion`, remembered so that typing it on costs nothing."""
        text, offset = snapshot.document.text, snapshot.offset
        replaced = text[offset : offset + replaces]
        self._last[snapshot.uri] = (text[:offset], suggestion, replaced)
        line, character = offset_to_utf16(text, offset)
        return Answer(Suggestion(suggestion, line, character, False, _end(text, offset, replaced)),
                      report)  # fmt: skip

    def shutdown(self) -> None:
        self._closing = True
        for index in self.indexes.values():
            index.close()
        for ticket in self._latest.values():
            ticket.cancelled.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._completer is not None:
            self._completer.close()


def _why_dropped(ticket: Ticket) -> str:
    return "superseded by a newer request" if ticket.superseded else "cancelled"
