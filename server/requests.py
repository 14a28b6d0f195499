"""A request's life on the server: the snapshot the worker completes, its cancellation
ticket, the generation it may take over while the user types what that writes, and its
answer in the editor's coordinates."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field

from codegen_complete.completion.backend import Continuation
from codegen_complete.completion.options import Options
from codegen_complete.completion.suggest import DocumentSnapshot, Suggestion
from codegen_complete.context.classify import Mode
from codegen_complete.context.enter import indent_after_enter
from codegen_complete.server.positions import offset_to_utf16


@dataclass(frozen=True)
class EditorSuggestion:
    text: str  # to insert at the cursor
    line: int  # LSP position of the cursor
    character: int
    from_cache: bool = False
    # Where the text it replaces ends (closers the editor typed ahead); None: at the cursor.
    end_character: int | None = None


def end_of_replaced(text: str, offset: int, replaced: str) -> int | None:
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


def after_enter(document: DocumentSnapshot, suggestion: str) -> tuple[str, int] | None:
    """The document once the user has taken the one-line `suggestion` and pressed Enter,
    and the cursor there; None where nothing is to be prepared (a block, the cursor before
    other text on its line)."""
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
    return text[:offset] + inserted + text[offset:], offset + len(inserted)


def rest_of(
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
        EditorSuggestion(rest, line, character, True, end_of_replaced(text, offset, replaced)),
        f"{snapshot.describe()}: {source}, {len(rest)} characters",
    )


def why_dropped(ticket: Ticket) -> str:
    return "superseded by a newer request" if ticket.superseded else "cancelled"


def describe_run(snapshot: Snapshot, result: Suggestion, generated: Continuation) -> str:
    """The log line of a request the model answered: what its prompt held, what each step
    cost, how it stopped, what the name check did."""
    report = (
        f"{snapshot.describe()}: {result.mode.value}, prompt {generated.prompt_tokens} tokens "
        f"({generated.reused_tokens} reused), context {len(result.context_files)} files "
        f"{result.context_ms:.0f} ms, {'small ' if result.small_prompt else ''}"
        f"prefill {generated.prefill_ms:.0f} ms, decode {generated.generated_tokens} tokens "
        f"{generated.decode_ms:.0f} ms, stop {generated.stop_reason}, "
        f"total {result.total_ms:.0f} ms"
    )
    if result.members:
        report += f", a member of {result.members} known"
    if result.unresolved:
        report += f", name check {result.name_check} ({', '.join(result.unresolved)})"
    return report


def why_empty(result: Suggestion, generated: Continuation) -> str:
    """Why a generation the model finished shows nothing."""
    if generated.stop_reason == "time_limit":
        return "time limit"
    if result.unsure:
        return f"the model was unsure, line probability {result.line_probability:.2f}"
    if result.name_check == "dropped":
        return "it reads names that resolve nowhere"
    if generated.text.strip():
        # What was dropped says why (a line that repeats the next one, an unclosed bracket…).
        written = generated.text if len(generated.text) <= 60 else generated.text[:57] + "..."
        return f"post-processing dropped it: {written!r}"
    return "the model wrote nothing"


class Remembered:
    """Per document, the suggestions that answer without the model: the last one shown
    (typing its first characters is answered with the rest) and the one prepared for the
    line after it (arriving there is answered at once)."""

    def __init__(self) -> None:
        # The text before the cursor, the suggestion there, the closers after the cursor it
        # replaces.
        self.last: dict[str, tuple[str, str, str]] = {}
        # The text before and after the cursor of the line after the last suggestion, the
        # suggestion prepared there, the closers it replaces.
        self.next: dict[str, tuple[str, str, str, str]] = {}

    def answer(self, snapshot: Snapshot) -> Answer | None:
        if (prepared := self._from_prepared(snapshot)) is not None:
            return prepared
        last = self.last.get(snapshot.uri)
        if last is None:
            return None
        previous_before, suggestion, replaced = last
        # Typing nothing since is not typing the suggestion: asked again there, the model runs.
        if snapshot.document.text[: snapshot.offset] == previous_before:
            return None
        return rest_of(snapshot, previous_before, suggestion, replaced, "from the last suggestion")

    def _from_prepared(self, snapshot: Snapshot) -> Answer | None:
        prepared = self.next.get(snapshot.uri)
        if prepared is None:
            return None
        before, after, suggestion, replaced = prepared
        if snapshot.document.text[snapshot.offset :] != after:
            return None
        answer = rest_of(snapshot, before, suggestion, replaced, "prepared")
        if answer is not None:
            self.last[snapshot.uri] = (before, suggestion, replaced)  # typing on goes from it
        return answer

    def shown(self, snapshot: Snapshot, suggestion: str, replaces: int) -> str:
        """Keep `suggestion`, shown at the snapshot's cursor; the closers it replaces."""
        text, offset = snapshot.document.text, snapshot.offset
        replaced = text[offset : offset + replaces]
        self.last[snapshot.uri] = (text[:offset], suggestion, replaced)
        return replaced

    def place_to_prepare(self, snapshot: Snapshot, suggestion: str) -> tuple[str, int] | None:
        """The document and cursor once `suggestion` is taken and Enter pressed, unless the
        suggestion there is prepared already (or nothing is to be prepared)."""
        predicted = after_enter(snapshot.document, suggestion)
        prepared = self.next.get(snapshot.uri)
        if predicted is None or (
            prepared is not None and prepared[0] == predicted[0][: predicted[1]]
        ):
            return None
        return predicted

    def prepared(self, uri: str, text: str, offset: int, suggestion: str, replaces: int) -> None:
        replaced = text[offset : offset + replaces]
        self.next[uri] = (text[:offset], text[offset:], suggestion, replaced)

    def forget(self, uri: str) -> None:
        self.last.pop(uri, None)
        self.next.pop(uri, None)


Place = tuple[str, str, int]  # a document's uri, its text, the cursor


class Waiting:
    """The requests waiting for the model's worker, and the place whose next line it is
    preparing: idle-time work (warming, preparing) gives way to a waiting request, except
    that a request at the very place being prepared (Enter came while it ran) waits for it
    and answers from it: stopping there meant running it again after the user's next key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._here = 0  # of them, at the place being prepared
        self._preparing: Place | None = None
        self.closing = False

    def busy(self) -> bool:
        """Whether idle-time work must give way (or the server is shutting down)."""
        return self._count > 0 or self.closing

    def busy_elsewhere(self) -> bool:
        """Whether preparing a line must give way: a request waits at another place."""
        return self._count > self._here or self.closing

    def arrived(self, place: Place) -> bool:
        """A request was submitted at `place`; whether that is the place being prepared."""
        with self._lock:
            here = place == self._preparing
            self._count += 1
            self._here += here
            return here

    def started(self, here: bool) -> None:
        with self._lock:
            self._count -= 1
            self._here -= here

    @contextlib.contextmanager
    def preparing(self, place: Place) -> Iterator[None]:
        with self._lock:
            self._preparing = place
        try:
            yield
        finally:
            with self._lock:
                self._preparing = None
