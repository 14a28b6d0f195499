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
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from codegen_complete.completion.backend import BackendUnavailableError
from codegen_complete.completion.completer import Completer
from codegen_complete.completion.remote.endpoint import Health
from codegen_complete.completion.suggest import DocumentSnapshot, suggest, warm
from codegen_complete.context.classify import FINISHED_LINE, Mode, classify
from codegen_complete.context.documents import Document
from codegen_complete.context.edits import EditLog, changed_lines
from codegen_complete.context.gather import PlaceMemo
from codegen_complete.models.load import load
from codegen_complete.models.store import ModelError
from codegen_complete.server.indexing import ModelWorker, Workspaces
from codegen_complete.server.positions import (
    offset_to_utf16,
    path_of,
    position_in_text,
    utf16_to_offset,
)
from codegen_complete.server.requests import (
    Answer,
    EditorSuggestion,
    Remembered,
    Run,
    Snapshot,
    Ticket,
    Waiting,
    describe_run,
    end_of_replaced,
    why_dropped,
    why_empty,
)
from codegen_complete.server.settings import Settings, language_id_of


class CompletionService:
    def __init__(self, settings: Settings, roots: list[Path] | None = None) -> None:
        self.settings = settings
        self.workspaces = Workspaces(roots or [])
        self.documents: dict[str, Document] = {}
        self._language_ids: dict[str, str] = {}  # as the client named each document's language
        self._executor = ModelWorker()
        self._completer: Completer | None = None
        self._latest: dict[str, Ticket] = {}
        self._runs: dict[str, Run] = {}  # the newest generation per document
        self._request_lines: dict[str, int] = {}  # the line of the last request per document
        self._tickets = 0
        self.remembered = Remembered()  # the suggestions that answer without the model
        self._places = PlaceMemo()  # only the worker thread uses it
        self.edits = EditLog()  # where the user changed the open documents lately
        self._waiting = Waiting()  # requests submitted and not started: idle work yields
        self._focuses = 0  # focus notifications so far: a place's warming stops at the next
        self._warm_queued = False  # a warming job waits for the worker: one is enough
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
        self._language_ids[uri] = language_id or language_id_of(path)

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
        self._language_ids.pop(uri, None)
        if (path := path_of(uri)) is not None:
            self.edits.forget(path)  # its text is no longer known
        self.remembered.forget(uri)
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
        roots: list[Path] | None = None,
    ) -> str:
        """Bring each root's (or each of `roots`') index up to date (server/indexing.py);
        the summary."""
        return self.workspaces.build(cache_dir, say, progress, self._executor.quiet_for, roots)

    def file_changed(self, uri: str) -> None:
        """A file was saved, created, changed or deleted on disk: re-read it into its index."""
        path = path_of(uri)
        if path is not None:
            self.workspaces.file_changed(path)

    # --- requests ----------------------------------------------------------------------------

    def snapshot(self, uri: str, line: int, character: int, explicit: bool) -> Snapshot | Answer:
        """The request's immutable view, or the answer when there is nothing to complete."""
        where = f"{uri}:{line + 1}:{character + 1}"
        document = self.documents.get(uri)
        if document is None:
            return Answer(None, f"{where}: not an open document")
        language_id = self._language_ids.get(uri, "")
        if not self.settings.serves(language_id, document.spec.lsp_ids if document.spec else ()):
            why = "not in enabledLanguages" if self.settings.enabled_languages else "prose or data"
            return Answer(None, f"{where}: skipped, {language_id or 'this language'} is {why}")
        if line >= 0 and character >= 0 and not position_in_text(document.text, line, character):
            return Answer(None, f"{where}: past the end of the document")
        offset = utf16_to_offset(document.text, line, character)
        classification = classify(document, offset, explicit)
        if classification.mode is Mode.SKIP:
            at = Snapshot(
                uri, self._document_at(uri, document, offset, Mode.SINGLE_LINE),
                self.settings.options(), False, Ticket(0),
            )  # fmt: skip
            if classification.reason == FINISHED_LINE:  # Enter comes next: prepare that line
                self._prepare_soon(at, "")
            # Typing along a suggestion into a string or a comment keeps the rest on screen:
            # the model would not be asked there, but it has spoken already.
            if (typed_along := self.remembered.answer(at)) is not None:
                return typed_along
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
        root = self.workspaces.root_for(path)
        return DocumentSnapshot.of(
            document,
            offset,
            mode,
            path=path,
            root=root,
            index=self.workspaces.index_of(root),
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
        self._focuses += 1
        with contextlib.suppress(RuntimeError):  # the executor is shutting down
            self._executor.submit(self._warm_place, at, self._focuses)
        return f"{where}: focus, warming the prompt at the end of its line"

    def _warm_place(self, document: DocumentSnapshot, focus: int) -> None:
        """Warm the place of focus number `focus` until a request comes or the user moves
        on: the cursor passing over lines (each rest a focus) must not leave a queue of
        places warmed in turn, the one the user stopped at last."""
        completer = self._completer

        def left() -> bool:
            return self._waiting.busy() or self._moved_on(focus)

        if completer is None or left():
            return
        with contextlib.suppress(BackendUnavailableError):
            warm(completer, document, self.settings.options(), left, self._places)

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
        return self.remembered.answer(snapshot)

    def idle_work_after(self, snapshot: Snapshot, answer: Answer) -> None:
        """Queue the worker's idle-time work after `answer`: first the full prompt of the
        place, which a small prompt stood in for, then the line after the suggestion.

        Answers from the cache queue it too: while the user types along a suggestion the
        worker is free, and writing on, that is when the full prompt can warm (without it,
        lines were written with the small prompt, without context). Warming comes first:
        the line prepared from the full prompt is the one worth having (preparing first
        measured the same on the typing benchmark)."""
        with contextlib.suppress(RuntimeError):  # the executor is shutting down
            if not self._warm_queued:
                self._warm_queued = True
                self._executor.submit(self._warm, self._focuses)
            if answer.suggestion is not None:
                self._prepare_soon(snapshot, answer.suggestion.text)

    def _prepare_soon(self, snapshot: Snapshot, suggestion: str) -> None:
        """Have the worker prepare the line after `suggestion` (taken, then Enter) when idle."""
        if self.remembered.place_to_prepare(snapshot, suggestion) is None:
            return
        with contextlib.suppress(RuntimeError):  # the executor is shutting down
            self._executor.submit(self._prepare, snapshot, suggestion, self._focuses)

    def _prepare(self, snapshot: Snapshot, suggestion: str, focus: int) -> None:
        """Idle time: the suggestion for the line after `suggestion`, kept for `from_cache`."""
        completer = self._completer
        if completer is None or self._waiting.busy() or self._moved_on(focus):
            return
        predicted = self.remembered.place_to_prepare(snapshot, suggestion)
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

        def given_way() -> bool:
            return self._waiting.busy_elsewhere() or self._moved_on(focus)

        try:
            with self._waiting.preparing((snapshot.uri, text, offset)), completer.keeping_warm():
                result = suggest(completer, there, snapshot.options, given_way, self._places)
        except BackendUnavailableError:
            return
        generated = result.continuation
        if generated is not None and generated.stop_reason == "cancelled":
            return  # prepared again at the next idle time
        # Nothing to suggest there is remembered too: typing along a suggestion asks for the
        # same line after it at every key, and the model would run there again each time.
        self.remembered.prepared(snapshot.uri, text, offset, result.text, result.replaces)

    def submit(self, snapshot: Snapshot) -> Future[Answer]:
        """Run the model for `snapshot` on the worker thread."""
        document = snapshot.document
        number = snapshot.ticket.number
        run = Run(number, document.text[: document.offset], document.text[document.offset :],
                  number)  # fmt: skip
        if (previous := self._runs.get(snapshot.uri)) is not None:
            previous.stopped.set()
        self._runs[snapshot.uri] = run
        here = self._waiting.arrived((snapshot.uri, document.text, document.offset))
        run.future = self._executor.submit(self._answer, snapshot, run, here)
        run.future.add_done_callback(lambda future: self._never_started(future, run, here))
        return run.future

    def _never_started(self, future: Future[Answer], run: Run, here: bool) -> None:
        """A request cancelled while it waited for the worker (the client cancelled it, and
        asyncio cancels the future it wraps) never runs `_answer`: it waits no more. Counted
        as waiting, it made all idle-time work give way for the rest of the session: no
        warming, no line prepared (the typing benchmark's server logs)."""
        if future.cancelled():
            self._waiting.started(here)
            run.finished = True

    def _answer(self, snapshot: Snapshot, run: Run, here: bool) -> Answer:
        self._waiting.started(here)
        run.started = True
        try:
            # Enter came while this line was being prepared: the prepared line answers it.
            prepared = self.from_cache(snapshot) if here else None
            answer = prepared or self._complete(snapshot, run)
        finally:
            run.finished = True
        self.idle_work_after(snapshot, answer)
        return answer

    def _warm(self, focus: int) -> None:
        self._warm_queued = False
        if self._completer is not None:
            self._completer.warm(lambda: self._waiting.busy() or self._moved_on(focus))

    def _moved_on(self, focus: int) -> bool:
        """Whether the user has come to another place (a focus) since idle work was queued
        at focus number `focus`: the place left is not warmed or prepared any longer. Its
        warming takes seconds, and the new place's warming and first request would wait
        behind it, as they did behind the warming of a rest before it stopped on moving on."""
        return self._focuses != focus

    def _complete(self, snapshot: Snapshot, run: Run) -> Answer:
        ticket = snapshot.ticket
        completer = self._completer
        if completer is None:
            return Answer(None, f"{snapshot.describe()}: no model loaded")
        if ticket.cancelled.is_set():
            return Answer(None, f"{snapshot.describe()}: {why_dropped(ticket)} while queued")
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
        report = describe_run(snapshot, result, generated)
        if ticket.cancelled.is_set():
            if result.text and generated.stop_reason != "cancelled":
                # The user typed on, in agreement: this answers the request of the last key.
                self.remembered.shown(snapshot, result.text, result.replaces)
                return Answer(None, f"{report}: {why_dropped(ticket)}, kept for #{run.owner}")
            return Answer(None, f"{report}: {why_dropped(ticket)}")
        if not result.text:
            return Answer(None, f"{report}: nothing to suggest ({why_empty(result, generated)})")
        return self._answered(
            snapshot, result.text, result.replaces,
            f"{report}: {len(result.text.splitlines() or [''])} lines",
        )  # fmt: skip

    def _answered(self, snapshot: Snapshot, suggestion: str, replaces: int, report: str) -> Answer:
        """The answer that shows `suggestion`, remembered so that typing it on costs nothing."""
        text, offset = snapshot.document.text, snapshot.offset
        replaced = self.remembered.shown(snapshot, suggestion, replaces)
        line, character = offset_to_utf16(text, offset)
        end = end_of_replaced(text, offset, replaced)
        return Answer(EditorSuggestion(suggestion, line, character, False, end), report)

    def shutdown(self) -> None:
        if self._waiting.closing:
            return  # the client's `shutdown`, then the end of its stream
        self._waiting.closing = True
        self.workspaces.close()
        for ticket in self._latest.values():
            ticket.cancelled.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self._completer is not None:
            self._completer.close()
