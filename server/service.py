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

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from tree_sitter import Tree

from codegen_complete.completion.pipeline import (
    Completer,
    CompletionRequest,
    gather_context,
)
from codegen_complete.completion.prompt import ContextSnippet
from codegen_complete.completion.store import ModelError, models_root, open_model
from codegen_complete.context.classify import Mode, classify
from codegen_complete.context.documents import Document
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.server.positions import offset_to_utf16, utf16_to_offset
from codegen_complete.server.settings import Settings


@dataclass(frozen=True)
class Suggestion:
    text: str  # to insert at the cursor
    line: int  # LSP position of the cursor
    character: int
    from_cache: bool = False


@dataclass(frozen=True)
class Snapshot:
    """What the worker needs, copied on the event loop."""

    uri: str
    text: str
    offset: int
    mode: Mode
    spec: LanguageSpec | None
    tree: Tree | None  # a copy: edits on the loop do not touch it
    path: Path | None
    root: Path | None
    neighbours: tuple[tuple[Path, str], ...]  # other open documents
    settings: Settings
    ticket: int


@dataclass
class Ticket:
    """Cancellation of one request: superseded, or cancelled by the client."""

    number: int
    cancelled: threading.Event = field(default_factory=threading.Event)


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
        self.load_error: str | None = None
        self._latest: dict[str, Ticket] = {}
        self._tickets = 0
        # The last suggestion per document: (text before the cursor, suggestion).
        self._last: dict[str, tuple[str, str]] = {}
        self.stats = {"requests": 0, "superseded": 0, "cancelled": 0, "from_cache": 0}

    # --- the model ---------------------------------------------------------------------------

    def load(self) -> str | None:
        """Load the model (on the worker thread); the error message when it cannot be."""

        def work() -> str | None:
            try:
                model = open_model(
                    models_root(
                        Path(self.settings.models_dir) if self.settings.models_dir else None
                    ),
                    self.settings.model,
                )
                self._completer = Completer(model, self.settings.threads)
                self.load_error = None
            except ModelError as error:
                self.load_error = str(error)
            return self.load_error

        return self._executor.submit(work).result()

    @property
    def ready(self) -> bool:
        return self._completer is not None

    # --- documents ---------------------------------------------------------------------------

    def open(self, uri: str, text: str, language_id: str | None, version: int) -> None:
        path = path_of(uri)
        self.documents[uri] = Document.open(text, str(path) if path else uri, language_id, version)

    def change(
        self, uri: str, changes: list[tuple[tuple[int, int, int, int] | None, str]], version: int
    ) -> None:
        """Apply LSP content changes: ((start line, start char, end line, end char) in UTF-16,
        new text), or (None, whole text)."""
        document = self.documents.get(uri)
        if document is None:
            return
        for change_range, new_text in changes:
            if change_range is None:
                self.documents[uri] = Document(new_text, document.spec, version)
                document = self.documents[uri]
                continue
            start = utf16_to_offset(document.text, change_range[0], change_range[1])
            end = utf16_to_offset(document.text, change_range[2], change_range[3])
            document.edit(start, max(start, end), new_text, version)
        document.version = version

    def close(self, uri: str) -> None:
        self.documents.pop(uri, None)
        self._last.pop(uri, None)
        if ticket := self._latest.pop(uri, None):
            ticket.cancelled.set()

    # --- requests ----------------------------------------------------------------------------

    def _root_for(self, path: Path | None) -> Path | None:
        if path is None:
            return None
        for root in self.roots:
            if path.resolve().is_relative_to(root):
                return root
        return None

    def snapshot(self, uri: str, line: int, character: int, explicit: bool) -> Snapshot | None:
        """The request's immutable view, or None when there is nothing to complete here."""
        document = self.documents.get(uri)
        if document is None:
            return None
        enabled = self.settings.enabled_languages
        if enabled and (
            document.spec is None or not any(lang in enabled for lang in document.spec.lsp_ids)
        ):
            return None
        offset = utf16_to_offset(document.text, line, character)
        classification = classify(document, offset, explicit)
        if classification.mode is Mode.SKIP:
            return None
        self._tickets += 1
        previous = self._latest.get(uri)
        if previous is not None and not previous.cancelled.is_set():
            previous.cancelled.set()
            self.stats["superseded"] += 1
        self._latest[uri] = Ticket(self._tickets)
        self.stats["requests"] += 1
        path = path_of(uri)
        neighbours = tuple(
            (other_path, other.text)
            for other_uri, other in self.documents.items()
            if other_uri != uri and (other_path := path_of(other_uri)) is not None
        )
        return Snapshot(
            uri=uri,
            text=document.text,
            offset=offset,
            mode=classification.mode,
            spec=document.spec,
            tree=document.tree.copy() if document.tree is not None else None,
            path=path,
            root=self._root_for(path),
            neighbours=neighbours,
            settings=self.settings,
            ticket=self._tickets,
        )

    def is_current(self, snapshot: Snapshot) -> bool:
        ticket = self._latest.get(snapshot.uri)
        return (
            ticket is not None
            and ticket.number == snapshot.ticket
            and (not ticket.cancelled.is_set())
        )

    def cancel(self, snapshot: Snapshot) -> None:
        ticket = self._latest.get(snapshot.uri)
        if ticket is not None and ticket.number == snapshot.ticket:
            ticket.cancelled.set()
            self.stats["cancelled"] += 1

    def from_cache(self, snapshot: Snapshot) -> Suggestion | None:
        """The rest of the last suggestion when the user typed its first characters."""
        last = self._last.get(snapshot.uri)
        if last is None:
            return None
        before = snapshot.text[: snapshot.offset]
        previous_before, suggestion = last
        if not before.startswith(previous_before):
            return None
        typed = before[len(previous_before) :]
        if typed and suggestion.startswith(typed) and len(suggestion) > len(typed):
            self.stats["from_cache"] += 1
            line, character = offset_to_utf16(snapshot.text, snapshot.offset)
            return Suggestion(suggestion[len(typed) :], line, character, from_cache=True)
        return None

    def submit(self, snapshot: Snapshot) -> Future[Suggestion | None]:
        """Run the model for `snapshot` on the worker thread."""
        ticket = self._latest[snapshot.uri]
        return self._executor.submit(self._complete, snapshot, ticket.cancelled.is_set)

    def _complete(self, snapshot: Snapshot, cancelled: Callable[[], bool]) -> Suggestion | None:
        completer = self._completer
        if completer is None or cancelled():
            return None
        settings = snapshot.settings
        before, after = snapshot.text[: snapshot.offset], snapshot.text[snapshot.offset :]
        context: tuple[ContextSnippet, ...] = ()
        if settings.context and snapshot.path is not None and snapshot.root is not None:
            context = gather_context(
                snapshot.text,
                snapshot.offset,
                snapshot.path,
                snapshot.root,
                snapshot.tree,
                snapshot.neighbours,
            )
        result = completer.complete(
            CompletionRequest(
                before=before,
                after=after,
                mode=snapshot.mode,
                language=snapshot.spec,
                max_lines=settings.max_lines,
                time_limit_s=settings.time_limit_s,
                context=context,
                path=(
                    snapshot.path.relative_to(snapshot.root).as_posix()
                    if snapshot.path and snapshot.root
                    else None
                ),
            ),
            cancelled=cancelled,
        )
        if cancelled() or not result.text:
            return None
        self._last[snapshot.uri] = (before, result.text)
        line, character = offset_to_utf16(snapshot.text, snapshot.offset)
        return Suggestion(result.text, line, character)

    def shutdown(self) -> None:
        for ticket in self._latest.values():
            ticket.cancelled.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
