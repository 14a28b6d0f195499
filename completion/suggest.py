"""The one path from a cursor to a suggestion, shared by the LSP server, the CLI and the
evaluation: gather context, build the request, complete, and report what it cost."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Tree

from codegen_complete.checks.missing_imports import missing_import
from codegen_complete.checks.namecheck import members_at, unresolved
from codegen_complete.completion.backend import BackendUnavailableError, Continuation
from codegen_complete.completion.completer import Completer, CompletionRequest
from codegen_complete.completion.options import Options
from codegen_complete.context.classify import Mode
from codegen_complete.context.documents import Document
from codegen_complete.context.edits import EditedRegion
from codegen_complete.context.gather import PLACE_LINES, PlaceMemo, gather_context
from codegen_complete.context.index.repo import RepoIndex
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.context.snippets import Snippet
from codegen_complete.context.workspace import why_private


@dataclass(frozen=True)
class DocumentSnapshot:
    """The document at the moment of the request; nothing in it changes afterwards."""

    text: str
    offset: int  # the cursor, a string index into `text`
    mode: Mode  # what to write there (context.classify decides; never SKIP here)
    language: LanguageSpec | None = None
    path: Path | None = None  # the file, when it is one
    root: Path | None = None  # its workspace root: context comes only from inside it
    tree: Tree | None = None  # the document's syntax tree, when the caller keeps one
    # Other open documents; None: the workspace's recently modified files stand in.
    open_documents: tuple[tuple[Path, str], ...] | None = None
    # The workspace's search index, when there is one (context/index/repo.py).
    index: RepoIndex | None = None
    # Where the user edited lately, newest first (context/edits.py).
    recent_edits: tuple[EditedRegion, ...] = ()
    # When the request arrived: the time limit counts from here, not from the queue.
    received: float = field(default_factory=time.perf_counter)

    @classmethod
    def of(
        cls,
        document: Document,
        offset: int,
        mode: Mode,
        *,
        path: Path | None = None,
        root: Path | None = None,
        index: RepoIndex | None = None,
        open_documents: tuple[tuple[Path, str], ...] | None = None,
        recent_edits: tuple[EditedRegion, ...] = (),
        received: float | None = None,
    ) -> DocumentSnapshot:
        """The snapshot of a parsed document (the server's, the CLI's, an evaluation case's):
        its text, language and a copy of its tree, which the editor's next edits change in
        place while the request runs."""
        return cls(
            text=document.text,
            offset=offset,
            mode=mode,
            language=document.spec,
            path=path,
            root=root,
            tree=document.tree.copy() if document.tree is not None else None,
            open_documents=open_documents,
            index=index,
            recent_edits=recent_edits,
            received=time.perf_counter() if received is None else received,
        )


@dataclass(frozen=True)
class Suggestion:
    text: str  # what to insert at the cursor ("" when there is nothing worth showing)
    mode: Mode
    context_files: tuple[str, ...]  # workspace paths of the snippets in the prompt
    # The raw output, token counts, stop reason, model timings; None when no model ran (the
    # suggestion is an import the file is missing, checks/missing_imports.py).
    continuation: Continuation | None
    # Names the model's suggestion read that are defined nowhere (or, in JavaScript and
    # TypeScript, not in scope), and what that did to it: "" (nothing found or not checked),
    # "dropped" or "trimmed" (when options.check_names), or "retried" (the model wrote its
    # next best where it first wrote the name, and that resolves).
    unresolved: tuple[str, ...]
    name_check: str
    # Characters after the cursor that `text` replaces (closers the editor typed ahead).
    replaces: int
    context_ms: float  # gathering context
    small_prompt: bool  # a new place: a small prompt now, the full one warms when idle
    total_ms: float  # from the request's arrival to the answer
    # How sure the model was of the first line: its tokens' log-probabilities.
    logprobs: tuple[float, ...] = ()
    unsure: bool = False  # held back: the model gave its line too low a probability
    members: int = 0  # at a member: how many names its receiver may take (0: not known)

    @property
    def line_probability(self) -> float | None:
        return math.exp(sum(self.logprobs)) if self.logprobs else None


def suggest(
    completer: Completer,
    document: DocumentSnapshot,
    options: Options,
    cancelled: Callable[[], bool] = lambda: False,
    places: PlaceMemo | None = None,
    progress: Callable[[str], None] | None = None,
) -> Suggestion:
    """The suggestion at the document's cursor. A long-lived caller (the server) passes
    `places`, so that typing in one place keeps its context and with it the cached prompt,
    and `progress`, which sees the model's text after the cursor grow token by token."""
    started = time.perf_counter()
    if (missing := _missing_import(document, options)) is not None:
        return Suggestion(
            text=missing, mode=document.mode, context_files=(), continuation=None,
            unresolved=(), name_check="", replaces=0,
            context_ms=round((time.perf_counter() - started) * 1000, 2), small_prompt=False,
            total_ms=round((time.perf_counter() - document.received) * 1000, 2),
        )  # fmt: skip
    request = _request(completer, document, options, places)
    if options.check_names:
        # The members the cursor's receiver has: the model chooses among them rather than
        # invent one that the name check would then drop.
        before, after = document.text[: document.offset], document.text[document.offset :]
        members = members_at(before, after, document.language, document.path, document.root,
                             document.tree)  # fmt: skip
        request = dataclasses.replace(request, members=members)
    context_ms = (time.perf_counter() - started) * 1000
    result = completer.complete(request, cancelled, progress)
    text, unresolved, action = _checked_names(result.text, document, options)
    if unresolved and not cancelled():
        # The model wrote a name that is not in scope: its next best at that point is often
        # the name that is (`entry.type` for `args.entry.type`). One more try, on the cache.
        retried = completer.complete_without(request, result, unresolved[0], cancelled)
        if retried is not None:
            again, still, _ = _checked_names(retried.text, document, options)
            if again and not still:
                result, text, action = retried, again, "retried"
    logprobs = completer.first_line_logprobs(result.continuation)
    threshold = completer.model.min_line_probability if options.hold_back_unsure else None
    if unsure := _unsure(text, logprobs, document, threshold):
        text = ""
    return Suggestion(
        text=text,
        mode=document.mode,
        context_files=tuple(sorted({snippet.path for snippet in result.context})),
        continuation=result.continuation,
        unresolved=unresolved,
        name_check=action,
        replaces=result.replaces if text else 0,
        context_ms=round(context_ms, 2),
        small_prompt=result.small_prompt,
        total_ms=round((time.perf_counter() - document.received) * 1000, 2),
        logprobs=logprobs,
        unsure=unsure,
        members=len(request.members or ()),
    )


def _unsure(
    text: str, logprobs: tuple[float, ...], document: DocumentSnapshot, threshold: float | None
) -> bool:
    """Whether a one-line suggestion is held back because the model gives its line a lower
    probability than `threshold` (a wrong suggestion on screen is in the way)."""
    if threshold is None or not text or not logprobs or document.mode is not Mode.SINGLE_LINE:
        return False
    return math.exp(sum(logprobs)) < threshold


def warm(
    completer: Completer,
    document: DocumentSnapshot,
    options: Options,
    cancelled: Callable[[], bool],
    places: PlaceMemo | None = None,
) -> None:
    """Run the full prompt for the document's cursor into the cache, without generating:
    the user is there and has not typed yet (the server does it in idle time)."""
    request = _request(completer, document, options, places)
    with contextlib.suppress(BackendUnavailableError):  # a private file, no local model
        completer.warm_for(request, cancelled)


def _request(
    completer: Completer, document: DocumentSnapshot, options: Options, places: PlaceMemo | None
) -> CompletionRequest:
    """The completion request at the document's cursor, with its context gathered, and
    whether its text may go to the completer's remote server."""
    private = None
    if completer.remote is not None and document.path is not None:
        private = why_private(document.path, document.root)
    relative_path = None
    context: tuple[Snippet, ...] = ()
    if document.path is not None and document.root is not None:
        relative_path = document.path.resolve().relative_to(document.root.resolve()).as_posix()
        if options.context:
            context = _context(document, document.path, document.root, places, options)
    return CompletionRequest(
        before=document.text[: document.offset],
        after=document.text[document.offset :],
        mode=document.mode,
        options=options,
        deadline=document.received + options.time_limit_s,
        language=document.language,
        context=context,
        path=relative_path,
        tree=document.tree,
        private=private,
    )


def _missing_import(document: DocumentSnapshot, options: Options) -> str | None:
    """The import the file is missing, where the cursor is about to write one (it needs the
    workspace's index, as all context from other files does)."""
    if not (options.context and options.retrieval) or document.index is None:
        return None
    if document.path is None or document.root is None or document.language is None:
        return None
    return missing_import(
        document.text, document.offset, document.path, document.index, document.language,
        document.tree,
    )  # fmt: skip


def _checked_names(
    text: str, document: DocumentSnapshot, options: Options
) -> tuple[str, tuple[str, ...], str]:
    """The suggestion to show, the names in it that resolve nowhere, and what was done."""
    if not options.check_names:
        return text, (), ""
    before, after = document.text[: document.offset], document.text[document.offset :]
    found = unresolved(
        text, before, after, document.language, document.path, document.root, document.tree
    )
    if not found:
        return text, (), ""
    names = tuple(u.name for u in found)
    # The lines before the first invented name still stand on their own; a line with one
    # does not (`return cart.` is no help).
    kept = text[: text.rfind("\n", 0, found[0].offset) + 1].rstrip()
    if kept.strip():
        return kept, names, "trimmed"
    return "", names, "dropped"


def _context(
    document: DocumentSnapshot, path: Path, root: Path, places: PlaceMemo | None, options: Options
) -> tuple[Snippet, ...]:
    edits = document.recent_edits if options.recent_edits else ()
    gather = functools.partial(
        gather_context,
        document.text,
        document.offset,
        path,
        root,
        document.tree,
        document.open_documents,
        document.index if options.retrieval else None,
        edits,
    )
    if places is None:
        return gather()
    others = tuple(other for other, _ in document.open_documents or ())
    # An edit in another file gives this place new context once, when the user comes back;
    # the edits typed here, at the cursor, are in the prompt anyway and must not change it.
    elsewhere = tuple((r.path, r.first // PLACE_LINES) for r in edits if r.path != path)
    return places.get(document.text, document.offset, (path, others, elsewhere), gather)
