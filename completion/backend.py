"""The seam between the pipeline and whatever continues a prompt.

The pipeline (prompt, healing, syntax-aware stops, post-processing) talks to a `Backend`; the
in-process ONNX engine is one. A remote serving engine (an OpenAI-compatible
`/v1/completions`) fits the same protocol: it receives the templated prompt, streams text, and
calls `should_stop` on the text so far, so the syntax-aware stop works for it too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the CLI catches BackendUnavailableError without loading onnxruntime
    from tokenizers import Tokenizer

    from codegen_complete.completion.engine import Constraint, Engine, StopReason
    from codegen_complete.completion.prompt import Prompt


def decode_text(tokenizer: Tokenizer, tokens: list[int]) -> str:
    """Token ids as text, special tokens spelt out (a prompt's FIM markers, a stop token)."""
    text: str = tokenizer.decode(tokens, skip_special_tokens=False)
    return text


class BackendUnavailableError(RuntimeError):
    """The backend cannot answer now (a remote server down or refusing); the message says
    why, for the user."""


@dataclass(frozen=True)
class Limits:
    """When to stop besides the model's own stop tokens."""

    max_new_tokens: int
    deadline: float | None  # time.perf_counter() value; None: no time cap
    cancelled: Callable[[], bool] = lambda: False
    should_stop: Callable[[str], bool] = lambda text: False  # on the text generated so far


@dataclass(frozen=True)
class Continuation:
    text: str  # what the model generated, stop token excluded
    generated_tokens: int
    stop_reason: StopReason
    prompt_tokens: int
    reused_tokens: int  # prompt tokens whose cache came from an earlier request
    prefill_ms: float  # up to the first new token
    decode_ms: float  # every token after the first
    tokens: tuple[int, ...] = ()  # the generated token ids, where the backend knows them
    # The model's log-probability of each generated token, where the backend gives them.
    logprobs: tuple[float, ...] = ()


class Backend(Protocol):
    name: str
    # Whether `constraint` (token-level, for token healing) is honoured; the pipeline heals
    # only with backends that do.
    supports_constraints: bool

    def continue_prompt(
        self, prompt: Prompt, limits: Limits, constraint: Constraint | None = None
    ) -> Continuation: ...

    def cached(self, prompt: Prompt) -> int:
        """How many of the prompt's first tokens need not be run again (a remote engine that
        caches prefixes itself says all)."""
        ...

    def warm(self, prompt: Prompt, cancelled: Callable[[], bool]) -> None:
        """Run the prompt into the cache while idle, so that a request that extends it is
        cheap; stop when `cancelled()`."""
        ...


class OnnxBackend:
    """The in-process engine: token ids in, greedy tokens out, decoded to text."""

    name = "onnx"
    supports_constraints = True

    def __init__(self, engine: Engine, tokenizer: Tokenizer, stop_tokens: frozenset[int]) -> None:
        self.engine = engine
        self.tokenizer = tokenizer
        self.stop_tokens = stop_tokens

    def decode(self, tokens: list[int]) -> str:
        return decode_text(self.tokenizer, tokens)

    def cached(self, prompt: Prompt) -> int:
        return self.engine.cached_length(prompt.tokens)

    def warm(self, prompt: Prompt, cancelled: Callable[[], bool]) -> None:
        self.engine.warm(prompt.tokens, cancelled)

    def continue_prompt(
        self, prompt: Prompt, limits: Limits, constraint: Constraint | None = None
    ) -> Continuation:
        generation = self.engine.generate(
            prompt.tokens,
            max_new_tokens=limits.max_new_tokens,
            stop_tokens=self.stop_tokens,
            deadline=limits.deadline,
            cancelled=limits.cancelled,
            should_stop=lambda tokens: limits.should_stop(self.decode(tokens)),
            constraint=constraint,
        )
        return Continuation(
            text=self.decode(generation.tokens),
            generated_tokens=len(generation.tokens),
            stop_reason=generation.stop_reason,
            prompt_tokens=generation.prompt_tokens,
            reused_tokens=generation.reused_tokens,
            prefill_ms=generation.prefill_ms,
            decode_ms=generation.decode_ms,
            tokens=tuple(generation.tokens),
            logprobs=generation.logprobs,
        )


class FallbackBackend:
    """A remote backend, and the local model for the requests it cannot answer (server down,
    refusing, resting after a failure)."""

    name = "remote, local fallback"
    supports_constraints = False  # the remote's prompt comes first; it cannot heal

    def __init__(self, primary: Backend, fallback: Backend) -> None:
        self.primary = primary
        self.fallback = fallback
        self.using_fallback = False  # whether the last request went to the fallback

    def _current(self) -> Backend:
        return self.fallback if self.using_fallback else self.primary

    def cached(self, prompt: Prompt) -> int:
        return self._current().cached(prompt)

    def warm(self, prompt: Prompt, cancelled: Callable[[], bool]) -> None:
        self._current().warm(prompt, cancelled)

    def continue_prompt(
        self, prompt: Prompt, limits: Limits, constraint: Constraint | None = None
    ) -> Continuation:
        try:
            continuation = self.primary.continue_prompt(prompt, limits)
        except BackendUnavailableError:
            self.using_fallback = True
            return self.fallback.continue_prompt(prompt, limits)
        self.using_fallback = False
        return continuation
