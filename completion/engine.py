"""Greedy generation on an onnxruntime session, keeping the KV cache between requests.

The model is a decoder exported by onnxruntime-genai's builder: inputs `input_ids`,
`attention_mask` and `past_key_values.N.key/value`; outputs `logits` (last position only)
and `present.N.key/value`. Cold prefill costs seconds on a laptop CPU while a request that
shares all but its last few tokens with the previous one costs milliseconds, so the engine
remembers the tokens it has already run and their cache, and re-runs only what differs.

Nothing here imports torch or transformers.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import onnxruntime as ort

from codegen_complete.completion.kvcache import (
    SLOTS,
    CachePool,
    DecoderLayout,
    common_prefix_length,
)

StopReason = Literal["stop_token", "max_tokens", "time_limit", "cancelled", "caller"]

# The input through which models exported by this version return logits for several final
# positions (see export.keep_last_logits), needed to verify drafted tokens.
KEEP_LOGITS_INPUT = "num_logits_to_keep"

# Prefill and warming run in chunks: a pass ended by a cancel loses only its own chunk, the
# ones before it stay cached.
PREFILL_CHUNK = 128
WARM_CHUNK = 64
# How often a watcher asks whether a pass of prefill or warming must end (a request came, the
# user moved on, the deadline passed): onnxruntime then stops it at its next kernel.
STOP_POLL_S = 0.005


@dataclass(frozen=True)
class Generation:
    tokens: list[int]
    stop_reason: StopReason
    prompt_tokens: int
    reused_tokens: int  # prompt tokens whose cache came from an earlier request
    prefill_ms: float  # running the prompt tokens not reused, up to the first new token
    decode_ms: float  # producing every token after the first
    # The model's log-probability of each token it chose (how sure it was), as `tokens`.
    logprobs: tuple[float, ...] = ()


def default_threads() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


class Constraint(Protocol):
    """Chooses tokens instead of plain argmax while active (token healing)."""

    def active(self, tokens: list[int]) -> bool:
        """Whether it chooses the token after `tokens` (the generated ones so far)."""
        ...

    def choose(self, tokens: list[int], logits: np.ndarray) -> int: ...


class Detour:
    """The model's best first token but `banned`: its next best at a point where its first
    choice was wrong (the tokens before that point end the prompt)."""

    def __init__(self, banned: int) -> None:
        self.banned = banned

    def active(self, tokens: list[int]) -> bool:
        return not tokens

    def choose(self, tokens: list[int], logits: np.ndarray) -> int:
        order = np.argsort(-logits)
        return int(order[1] if int(order[0]) == self.banned else order[0])


class Engine:
    """One ONNX decoder session and the KV cache of the last tokens it ran.

    Not re-entrant: callers run one generation at a time (the lock enforces it).
    """

    def __init__(
        self,
        model_dir: Path,
        threads: int | None = None,
        speculate: bool = True,
        cache_slots: int = SLOTS,
    ) -> None:
        self.threads = threads or default_threads()
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # onnxruntime keeps a memory plan per distinct input shape, for ever; every keystroke
        # has a new (new tokens, cached tokens) shape, so the resident memory climbed without
        # end (+137 MB over 540 generations of random shapes, flat without; speed the same).
        options.enable_mem_pattern = False
        self.session = ort.InferenceSession(
            str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.layout = DecoderLayout.from_genai_config(model_dir / "genai_config.json")
        self._lock = threading.Lock()
        self._pool = CachePool(self.layout, cache_slots)
        self._slot = self._pool.slots[0]  # the one the current generation runs in
        # Speculation needs logits for several positions: models exported by this version
        # take `num_logits_to_keep`; older exports give the last position only.
        inputs = {i.name for i in self.session.get_inputs()}
        self.speculate = speculate and KEEP_LOGITS_INPUT in inputs
        self._keep_logits_input = KEEP_LOGITS_INPUT in inputs

    def _run(self, tokens: Sequence[int], positions: int = 1) -> np.ndarray:
        """Feed `tokens` after the cached ones and extend the cache.

        Returns the logits of the last `positions` tokens, shape (positions, vocabulary).
        """
        logits = self._run_unless(tokens, positions, stop=None)
        assert logits is not None  # nothing stops a pass without `stop`
        return logits

    def _run_unless(
        self, tokens: Sequence[int], positions: int, stop: Callable[[], bool] | None
    ) -> np.ndarray | None:
        """`_run`, ended within milliseconds once `stop()` turns true (None then, nothing
        cached). A chunk of prefill or warming takes a quarter of a second or more on 2
        cores: the first request at a new place waited for the chunk that was warming the
        place left (the server log: `total 990 ms` for `prefill 470 ms, decode 172 ms`)."""
        if stop is not None and stop():
            return None
        total = len(self._cached_tokens) + len(tokens)
        self._slot.cache.reserve(total)
        binding = self.session.io_binding()
        binding.bind_cpu_input("input_ids", np.asarray([tokens], dtype=np.int64))
        # The mask's length is the sequence so far; the buffers behind it are longer.
        binding.bind_cpu_input("attention_mask", np.ones((1, total), dtype=np.int64))
        if self._keep_logits_input:
            binding.bind_cpu_input(KEEP_LOGITS_INPUT, np.asarray([positions], dtype=np.int64))
        binding.bind_output("logits")  # first, so it is the first of get_outputs()
        self._slot.cache.bind(binding)
        if stop is None:
            self.session.run_with_iobinding(binding)
        elif not self._run_stoppable(binding, stop):
            return None  # what it wrote past the cached tokens is overwritten later
        self._cached_tokens.extend(tokens)
        logits: np.ndarray = binding.get_outputs()[0].numpy()[0]
        return logits

    def _run_stoppable(self, binding: ort.IOBinding, stop: Callable[[], bool]) -> bool:
        """Run `binding` while a watcher asks `stop()` every few milliseconds and, when it
        turns true, has onnxruntime end the pass at its next kernel; whether it finished."""
        options = ort.RunOptions()
        finished = threading.Event()

        def watch() -> None:
            while not finished.wait(STOP_POLL_S):
                if stop():
                    options.terminate = True
                    return

        watcher = threading.Thread(target=watch, name="stop-watcher", daemon=True)
        watcher.start()
        try:
            self.session.run_with_iobinding(binding, options)
        except RuntimeError:
            if not options.terminate:
                raise
            return False
        finally:
            finished.set()
            watcher.join()
        return True

    @property
    def _cached_tokens(self) -> list[int]:
        """The tokens whose keys and values the current slot holds, in order."""
        return self._slot.tokens

    def _keep_prefix(self, length: int) -> None:
        """Forget cached positions from `length` on; later tokens overwrite them in place."""
        del self._cached_tokens[length:]

    def forget(self) -> None:
        """Drop every cached prompt (tests and benchmarks compare with a cold run)."""
        with self._lock:
            self._pool.clear()

    def generate(
        self,
        prompt: Sequence[int],
        *,
        max_new_tokens: int,
        stop_tokens: frozenset[int],
        deadline: float | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        should_stop: Callable[[list[int]], bool] = lambda tokens: False,
        constraint: Constraint | None = None,
    ) -> Generation:
        """Greedy continuation of `prompt`.

        Stops at a stop token (not included), after `max_new_tokens`, when `time.perf_counter()`
        passes `deadline`, when `cancelled()` turns true (checked between tokens), or when
        `should_stop(tokens so far)` says so (the caller's syntax-aware stop).
        While `constraint` is active it chooses the tokens (token healing).
        """
        if not prompt:
            raise ValueError("the prompt is empty")
        limits = _Limits(
            max_new_tokens, stop_tokens, deadline or float("inf"), cancelled, should_stop
        )
        with self._lock:
            return self._generate(list(prompt), limits, constraint)

    def _generate(
        self, prompt: list[int], limits: _Limits, constraint: Constraint | None
    ) -> Generation:
        started = time.perf_counter()
        reason: StopReason
        self._slot, shared = self._pool.take(prompt)
        reused = min(shared, len(prompt) - 1)
        logits = self._prefill(prompt, reused, limits)
        if logits is None:
            reason = limits.interrupted() or "cancelled"
            return Generation([], reason, len(prompt), reused, _ms_since(started), 0.0)
        first_token_at = time.perf_counter()
        tokens: list[int] = []
        logprobs: list[float] = []
        # Tokens known to be the model's greedy choices, with their log-probabilities: the
        # next one from the logits, then drafted tokens that the model has verified.
        first = _choose(constraint, tokens, logits)
        ready = [(first, _logprob(logits, first))]
        while True:
            token, logprob = ready.pop(0)
            if token in limits.stop_tokens:
                reason = "stop_token"
                break
            tokens.append(token)
            logprobs.append(logprob)
            if stop := limits.reached(tokens):
                reason = stop
                break
            if not ready:  # verified drafts already have their keys and values cached
                ready = self._step(token, [*prompt, *tokens], limits, tokens, constraint)
        return Generation(
            tokens, reason, len(prompt), reused, _ms(first_token_at - started),
            _ms_since(first_token_at), tuple(logprobs),
        )  # fmt: skip

    def cached_length(self, prompt: Sequence[int]) -> int:
        """How many of the prompt's first tokens some slot of the cache already holds."""
        return max(common_prefix_length(slot.tokens, prompt) for slot in self._pool.slots)

    def warm(self, prompt: Sequence[int], cancelled: Callable[[], bool]) -> bool:
        """Run `prompt` into the cache without generating, ended within milliseconds when
        `cancelled()` turns true (a request waits, the user moved on); whether it got to the
        end."""
        with self._lock:
            self._slot, shared = self._pool.take(prompt)
            self._keep_prefix(shared)
            tokens = list(prompt)
            for start in range(shared, len(tokens), WARM_CHUNK):
                chunk = tokens[start : start + WARM_CHUNK]
                if self._run_unless(chunk, 1, stop=cancelled) is None:
                    return False
            return True

    def _prefill(self, prompt: list[int], reused: int, limits: _Limits) -> np.ndarray | None:
        """Run the prompt after its first `reused` (cached) tokens, ended within milliseconds
        by a cancel or the deadline; the last position's logits, or None when interrupted."""
        self._keep_prefix(reused)
        logits = None

        def interrupted() -> bool:
            return limits.interrupted() is not None

        for start in range(reused, len(prompt), PREFILL_CHUNK):
            chunk = prompt[start : start + PREFILL_CHUNK]
            rows = self._run_unless(chunk, 1, stop=interrupted)
            if rows is None:
                return None
            logits = rows[-1]
        return logits

    def _step(
        self,
        token: int,
        context: list[int],
        limits: _Limits,
        tokens: list[int],
        constraint: Constraint | None,
    ) -> list[tuple[int, float]]:
        """Feed `token` with a draft of what follows it, copied from earlier in the context
        (code repeats itself): one pass verifies the whole draft. Returns the verified tokens
        to emit next, with their log-probabilities. No drafting while a constraint chooses: it
        would judge drafts by argmax."""
        room = limits.max_new_tokens - len(tokens) - 1
        constrained = constraint is not None and constraint.active(tokens)
        draft = draft_from_context(context, room) if self.speculate and not constrained else []
        rows = self._run([token, *draft], positions=len(draft) + 1)
        predicted = rows.argmax(axis=-1)
        accepted = 0
        while accepted < len(draft) and predicted[accepted] == draft[accepted]:
            accepted += 1
        self._keep_prefix(len(self._cached_tokens) - (len(draft) - accepted))  # the rejected
        # (A constraint, once inactive, stays so: choosing after drafts is plain argmax.)
        chosen = [*draft[:accepted], _choose(constraint, tokens, rows[accepted])]
        return [(token, _logprob(rows[i], token)) for i, token in enumerate(chosen)]


@dataclass(frozen=True)
class _Limits:
    """When a generation must stop, apart from the model's own stop tokens."""

    max_new_tokens: int
    stop_tokens: frozenset[int]
    deadline: float
    cancelled: Callable[[], bool]
    should_stop: Callable[[list[int]], bool]

    def interrupted(self) -> StopReason | None:
        if self.cancelled():
            return "cancelled"
        return "time_limit" if time.perf_counter() > self.deadline else None

    def reached(self, tokens: list[int]) -> StopReason | None:
        """Why to stop after `tokens`, or None to go on."""
        if self.should_stop(tokens):
            return "caller"
        if len(tokens) == self.max_new_tokens:
            return "max_tokens"
        return self.interrupted()


def _logprob(logits: np.ndarray, token: int) -> float:
    """log p(token) under the softmax of `logits` (a few hundred microseconds a row)."""
    peak = float(logits.max())
    return float(logits[token]) - peak - float(np.log(np.exp(logits - peak).sum()))


def _choose(constraint: Constraint | None, tokens: list[int], logits: np.ndarray) -> int:
    if constraint is not None and constraint.active(tokens):
        return constraint.choose(tokens, logits)
    return int(np.argmax(logits))


# Drafting measured on 30 HumanEval infilling prompts (Qwen2.5-Coder-0.5B int4, 2 cores):
# plain greedy 18.1-18.4 ms/token; drafts of 2-5 tokens after a 2- or 3-token match
# 13.1-15.3 ms/token, 3 after 3 among the best. Longer drafts waste more compute when
# rejected: prefill-like passes are compute-bound here.
DRAFT_TOKENS = 3
# Shortest run of tokens that must recur for its continuation to be taken as a draft.
DRAFT_MIN_MATCH = 3
DRAFT_MAX_MATCH = 4


def draft_from_context(context: Sequence[int], limit: int) -> list[int]:
    """Prompt-lookup drafting: find the latest earlier place where the last few tokens of
    `context` occur, and propose the tokens that followed them there."""
    limit = min(limit, DRAFT_TOKENS)
    if limit <= 0:
        return []
    for size in range(DRAFT_MAX_MATCH, DRAFT_MIN_MATCH - 1, -1):
        if len(context) <= size:
            continue
        tail = list(context[-size:])
        first = tail[0]
        # Scan backwards, skipping the tail itself; most recent match first.
        for start in range(len(context) - size - 1, -1, -1):
            if context[start] == first and list(context[start : start + size]) == tail:
                follow = list(context[start + size : start + size + limit])
                if follow:
                    return follow
    return []


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _ms_since(started: float) -> float:
    return _ms(time.perf_counter() - started)
