"""A loaded model ready to complete: the prompt, token healing, the backend and the
post-processing around one request."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tokenizers import Tokenizer
from tree_sitter import Tree

from codegen_complete.completion.backend import (
    Backend,
    BackendUnavailableError,
    Continuation,
    FallbackBackend,
    Limits,
    OnnxBackend,
    decode_text,
)
from codegen_complete.completion.engine import Constraint, Detour, Engine
from codegen_complete.completion.healing import (
    Healing,
    TokenTexts,
    heal,
    line_ending_tokens,
    written_after,
)
from codegen_complete.completion.kvcache import SLOTS
from codegen_complete.completion.members import NameChoice
from codegen_complete.completion.options import Options
from codegen_complete.completion.postprocess import (
    Situation,
    cut_unfinished,
    postprocess,
    typed_ahead,
    unit_is_complete,
)
from codegen_complete.completion.prompt import Budget, Prompt, PromptBuilder
from codegen_complete.completion.remote.endpoint import Health, RemoteConfig
from codegen_complete.completion.templates import FAMILIES
from codegen_complete.context.classify import Mode
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.context.snippets import Snippet

if TYPE_CHECKING:
    from codegen_complete.completion.remote.backend import RemoteBackend

# Token caps per mode: a line is rarely longer than 48 tokens; a block body gets room for
# about a dozen lines before the time cap matters.
MAX_TOKENS = {Mode.SINGLE_LINE: 48, Mode.MULTI_LINE: 160}
# A small prompt may cost this many new tokens more than its window (the template's tokens,
# the current file's header after a cached context).
COLD_SLACK_TOKENS = 32
# Contexts remembered for small prompts: as many as the engine keeps cached prompts.
RECENT_CONTEXTS = SLOTS


class ModelLoadError(RuntimeError):
    """The model's files exist but onnxruntime or tokenizers cannot load them."""


@dataclass(frozen=True)
class ModelFiles:
    """What the runtime needs of an installed model (the model store's manifest says it)."""

    name: str
    path: Path  # holds model.onnx, genai_config.json and tokenizer.json
    family: str
    precision: str
    special_token_ids: dict[str, int]
    stop_token_ids: tuple[int, ...]
    # A one-line suggestion whose line the model gives a lower probability is not shown in
    # an editor (Options.hold_back_unsure); None: the model's was not measured, all shown.
    min_line_probability: float | None = None


@dataclass(frozen=True)
class CompletionRequest:
    before: str  # document text up to the cursor
    after: str  # document text from the cursor on
    mode: Mode
    options: Options
    deadline: float | None  # time.perf_counter() value by which to answer
    language: LanguageSpec | None = None
    # Code from other files (most relevant first) and the current file's workspace path.
    context: tuple[Snippet, ...] = ()
    path: str | None = None
    tree: Tree | None = None  # the syntax tree of before + after, when the caller keeps one
    # Why the document's text must stay on this machine (a secret-looking or ignored file):
    # a remote backend gets no request from it. None: it may go.
    private: str | None = None
    # The names the member written at the cursor may take (`cart.|`: its receiver's
    # members), when the language's room knows them: the model chooses among them.
    members: frozenset[str] | None = None


@dataclass(frozen=True)
class CompletionResult:
    text: str  # what to insert at the cursor ("" when there is nothing worth showing)
    continuation: Continuation  # what the model generated, with its counts and timings
    context: tuple[Snippet, ...]  # the snippets that fitted the prompt
    small_prompt: bool = False  # a new place: a small prompt now, the full one warms later
    # Characters after the cursor that `text` replaces: closers the editor typed ahead, which
    # the completion writes itself further on (postprocess.typed_ahead).
    replaces: int = 0
    prompt: Prompt | None = None  # what the model was given


class Completer:
    """One model and its backend; one request at a time.

    With `remote`, a serving engine continues the prompts and the local model gives only its
    tokenizer and family (the prompt is built here either way); its weights are loaded only
    for `fallback`, to answer while the server cannot.
    """

    def __init__(
        self,
        model: ModelFiles,
        threads: int | None = None,
        remote: RemoteConfig | None = None,
        fallback: bool = False,
    ) -> None:
        started = time.perf_counter()
        self.model = model
        try:
            self.engine = Engine(model.path, threads) if remote is None or fallback else None
            self.tokenizer = Tokenizer.from_file(str(model.path / "tokenizer.json"))
        except Exception as error:  # onnxruntime and tokenizers raise their own types
            raise ModelLoadError(str(error).strip()[:200]) from error
        self.family = FAMILIES[model.family]
        self.prompts = PromptBuilder(self.tokenizer, self.family, model.special_token_ids)
        self.stop_tokens = frozenset(model.stop_token_ids)
        local = (
            OnnxBackend(self.engine, self.tokenizer, self.stop_tokens)
            if self.engine is not None
            else None
        )
        self.remote: RemoteBackend | None = None
        if remote is not None:
            # Imported only here: a local-only completer never loads the HTTP client.
            from codegen_complete.completion.remote.backend import RemoteBackend

            self.remote = RemoteBackend(
                remote, model.family, self.family.stop_tokens, model.stop_token_ids,
                functools.partial(decode_text, self.tokenizer),
            )  # fmt: skip
        self.local = local
        self.backend: Backend
        if self.remote is None:
            assert local is not None
            self.backend = local
        else:
            self.backend = FallbackBackend(self.remote, local) if local else self.remote
        self.line_enders = line_ending_tokens(self.tokenizer)
        # The token texts that healing needs take most of a second to build: build them
        # beside the rest of the start-up, and wait only when a request needs them.
        self._token_texts: TokenTexts | None = None
        self._texts_thread = threading.Thread(target=self._build_texts, daemon=True)
        self._texts_thread.start()
        # Full prompts to run into the cache when idle, with the backend each is for: the
        # place of the last request that got a small one, then the line prepared after it.
        self._to_warm: list[tuple[Prompt, Backend]] = []
        # Contexts of prompts run lately, newest first: their tokens are likely still cached.
        self._recent_contexts: list[tuple[str | None, tuple[Snippet, ...]]] = []
        self.load_ms = round((time.perf_counter() - started) * 1000, 2)

    @property
    def health(self) -> Health | None:
        """The remote backend's state (None: local only), as the status display says it."""
        if self.remote is None:
            return None
        health = self.remote.health
        if not health.ok and isinstance(self.backend, FallbackBackend):
            return Health(True, f"{health.message}; using the local model {self.model.name}")
        return health

    def close(self) -> None:
        if self.remote is not None:
            self.remote.close()

    def _build_texts(self) -> None:
        self._token_texts = TokenTexts(self.tokenizer)

    @property
    def token_texts(self) -> TokenTexts:
        self._texts_thread.join()
        assert self._token_texts is not None
        return self._token_texts

    def complete(
        self,
        request: CompletionRequest,
        cancelled: Callable[[], bool] = lambda: False,
        progress: Callable[[str], None] | None = None,
    ) -> CompletionResult:
        """The completion at the request's cursor. `progress` gets the text written after
        the cursor so far at every token (the server continues a generation that the user
        is typing, and stops it when the keys disagree)."""
        before, healed, healing = self._heal(request.before, request.after)
        constraint: Constraint | None = self._choosing_member(request, healed) or healing
        prompt = self._prompt(before, request)
        return self._continue(request, prompt, healed, constraint, cancelled, progress=progress)

    def _choosing_member(self, request: CompletionRequest, healed: str) -> NameChoice | None:
        """At a member whose possible names are known, the constraint that has the model
        spell one of them (the partial word typed, left out of the prompt, starts it); None
        where none starts with what was typed, or the backend takes no constraint."""
        if not request.members or not self.backend.supports_constraints:
            return None
        choice = NameChoice(healed, request.members, self.token_texts)
        return choice if choice.names else None

    def complete_without(
        self,
        request: CompletionRequest,
        earlier: CompletionResult,
        name: str,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> CompletionResult | None:
        """The completion again where `earlier` wrote `name`, a name that is not in scope:
        the model's tokens up to it kept, its first token there banned, so that the model
        writes its next best at that point (`mountType: entry.type` where it wrote
        `mountType: args.entry.type`). None where that cannot be done: a backend that takes
        no constraint, a partial word typed at the cursor, no such name in the text."""
        _, healed, _ = self._heal(request.before, request.after)
        tokens = list(earlier.continuation.tokens)
        written = re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", earlier.continuation.text)
        if (
            not self.backend.supports_constraints
            or healed.strip()
            or earlier.prompt is None
            or written is None
        ):
            return None
        reaching = (  # the first token whose text reaches the name
            k for k in range(len(tokens))
            if len(decode_text(self.tokenizer, tokens[: k + 1])) > written.start()
        )  # fmt: skip
        if (at := next(reaching, None)) is None:
            return None
        # The kept tokens extend the prompt, whose cache holds them already from `earlier`:
        # one pass, not a step for each.
        kept = tokens[:at]
        extended = dataclasses.replace(earlier.prompt, tokens=[*earlier.prompt.tokens, *kept])
        return self._continue(
            request, extended, healed, Detour(tokens[at]), cancelled, kept=kept,
            kept_logprobs=earlier.continuation.logprobs[:at],
        )  # fmt: skip

    def _continue(
        self,
        request: CompletionRequest,
        prompt: Prompt,
        healed: str,
        constraint: Constraint | None,
        cancelled: Callable[[], bool],
        kept: list[int] | None = None,
        progress: Callable[[str], None] | None = None,
        kept_logprobs: tuple[float, ...] = (),
    ) -> CompletionResult:
        """The model's continuation of `prompt`, post-processed; `kept`: tokens at the end of
        the prompt that the model wrote before, part of the completion."""
        situation = Situation(
            request.before, request.after, request.mode, request.language,
            request.options.max_lines, request.tree,
        )  # fmt: skip
        written = decode_text(self.tokenizer, kept) if kept else ""

        def should_stop(text: str) -> bool:
            so_far = written_after(healed, written + text)
            if progress is not None:
                progress(so_far)
            return unit_is_complete(so_far, situation)

        limits = Limits(
            max_new_tokens=request.options.max_new_tokens or MAX_TOKENS[request.mode],
            deadline=request.deadline,
            cancelled=cancelled,
            should_stop=should_stop,
        )
        continuation = self._backend_for(request).continue_prompt(prompt, limits, constraint)
        if kept:
            continuation = dataclasses.replace(
                continuation,
                text=written + continuation.text,
                tokens=(*kept, *continuation.tokens),
                generated_tokens=len(kept) + continuation.generated_tokens,
                logprobs=(*kept_logprobs, *continuation.logprobs),
            )
        text = written_after(healed, continuation.text)
        if continuation.stop_reason in ("time_limit", "max_tokens"):
            text = cut_unfinished(text, situation)
        text, replaces = _postprocess_over_typed_ahead(text, situation)
        return CompletionResult(
            text, continuation, prompt.context, bool(self._to_warm), replaces, prompt
        )

    def first_line_logprobs(self, continuation: Continuation) -> tuple[float, ...]:
        """The log-probabilities of the tokens that wrote the continuation's first line of
        code (up to the newline after it): how sure the model was of what a one-line
        suggestion shows."""
        tokens, logprobs = continuation.tokens, continuation.logprobs
        if len(logprobs) != len(tokens):
            return ()
        for count in range(1, len(tokens) + 1):
            text = decode_text(self.tokenizer, list(tokens[:count]))
            if "\n" in text.lstrip("\n \t"):
                return logprobs[:count]
        return logprobs

    def _prompt(self, before: str, request: CompletionRequest) -> Prompt:
        """The full prompt when the backend has most of it cached; else, when the options ask
        for it, a small one now and the full one remembered for `warm`.

        The small prompt keeps a small window around the cursor (`cold_prompt_tokens`) and
        the best context whose tokens are already cached: this place's own when the warming
        has run it, else the context of a place asked lately in the same file (a jump inside
        a file keeps most of its relevance: the same imports, the same neighbours; another
        file's context made first answers empty or wrong on the typing benchmark's probe),
        else none. Only the window is then new: on the fresh suite's dev half a 256-token
        window with context was right 39% of the time against 18% without, 45% for the full
        prompt (docs/benchmarks.md).

        The small prompt stays until the full one is warm, for every key: measured on the
        typing benchmark, running the full prompt from the second key on (its prefill
        seconds long, the keys waiting for it) saved fewer keys than small prompts that see
        the typed part of the line (docs/benchmarks.md)."""
        full = self._full_prompt(before, request)
        backend = self._backend_for(request)
        self._to_warm = []
        small = self._small_prompt(before, request, full, backend)
        if small is None:
            self._remember_context(full)
            return full
        self._to_warm = [(full, backend)]
        self._remember_context(small)
        return small

    def _full_prompt(self, before: str, request: CompletionRequest) -> Prompt:
        return self.prompts.build(
            before, request.after, request.options.budget, context=request.context,
            path=request.path, language=request.language,
        )  # fmt: skip

    def _small_prompt(
        self, before: str, request: CompletionRequest, full: Prompt, backend: Backend
    ) -> Prompt | None:
        """The small prompt a request gets now (None: the full one, mostly cached or no
        small prompts asked for): the window with the first context, most relevant first,
        whose new tokens cost about what the window does; the last, without context, always
        does."""
        cold_tokens = request.options.cold_prompt_tokens

        def uncached(prompt: Prompt) -> int:
            return len(prompt.tokens) - backend.cached(prompt)

        if cold_tokens is None or uncached(full) <= cold_tokens:
            return None
        window = Budget(total=cold_tokens, context=request.options.budget.context)
        recent = (context for path, context in self._recent_contexts if path == request.path)
        for context in (request.context, *recent, ()):
            chosen = self.prompts.build(
                before, request.after, window, context=context, path=request.path,
                language=request.language,
            )  # fmt: skip
            if uncached(chosen) <= cold_tokens + COLD_SLACK_TOKENS:
                break
        return chosen

    def _remember_context(self, prompt: Prompt) -> None:
        """Keep the context that `prompt` runs with (its tokens are then cached) for the
        small prompts of places asked later in the same file."""
        if not prompt.context:
            return
        key = (prompt.path, prompt.context)
        self._recent_contexts = [key, *(k for k in self._recent_contexts if k != key)]
        del self._recent_contexts[RECENT_CONTEXTS:]

    def warm_for(self, request: CompletionRequest, cancelled: Callable[[], bool]) -> None:
        """Run the request's prompts into the cache (the user is at its place and has not
        typed yet), so that the first request there answers from them: the small prompt it
        would get now, then the full one."""
        before, _, _ = self._heal(request.before, request.after)
        full = self._full_prompt(before, request)
        backend = self._backend_for(request)
        # First the small prompt that a request here would get now: the first request after
        # a short rest (the user arriving and typing) then finds it mostly cached, where the
        # full prompt's seconds would have warmed only its first files.
        small = self._small_prompt(before, request, full, backend)
        if small is not None:
            self._remember_context(small)
            backend.warm(small, cancelled)
            if cancelled():
                return
        self._remember_context(full)
        backend.warm(full, cancelled)

    def warm(self, cancelled: Callable[[], bool]) -> None:
        """Run the full prompts waiting into the cache (idle time): the one of the last
        request that answered with a small one, so that the next keystroke there gets the
        full prompt cheaply, then the prepared line's. What `cancelled` interrupts waits for
        the next idle time, unless a request comes first (it says what to warm then)."""
        while self._to_warm:
            prompt, backend = self._to_warm[0]
            self._remember_context(prompt)  # its context runs first: cached soonest
            backend.warm(prompt, cancelled)
            if cancelled():
                return
            self._to_warm.pop(0)

    @contextlib.contextmanager
    def keeping_warm(self) -> Iterator[None]:
        """Requests made inside (a line prepared ahead of the user) add their full prompts
        to those waiting to be warmed, after them, instead of replacing them: the place the
        user is at comes first."""
        waiting = self._to_warm
        try:
            yield
        finally:
            self._to_warm = waiting + self._to_warm

    def _backend_for(self, request: CompletionRequest) -> Backend:
        """The backend that may read the request: the local model for a private document
        when the remote one is set (with no local model, none: an error that says why)."""
        if request.private is None or self.remote is None:
            return self.backend
        if self.local is not None:
            return self.local
        raise BackendUnavailableError(
            f"not sent to the remote server: {request.private} (with remoteFallback on, the "
            "local model completes such files)"
        )

    def _heal(self, before: str, after: str) -> tuple[str, str, Healing | None]:
        constrained = self.backend.supports_constraints
        return heal(before, after, constrained, self.line_enders, lambda: self.token_texts)


def _postprocess_over_typed_ahead(text: str, situation: Situation) -> tuple[str, int]:
    """The suggestion, and how many characters after the cursor it replaces: with `f(se|)`
    and `lf) -> int:` from the model, the `)` the editor typed ahead is replaced rather than
    left to close the line a second time."""
    replaces = typed_ahead(text, situation)
    if replaces:
        over = dataclasses.replace(situation, after=situation.after[replaces:], tree=None)
        finished = postprocess(text, over)
        if finished and typed_ahead(finished, situation) == replaces:
            return finished, replaces
    return postprocess(text, situation), 0
