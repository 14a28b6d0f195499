"""What a serving engine's prefix cache probably holds of a prompt, and how fast the engine
reads what it does not: the remote backend's answer to `Backend.cached`.

The completer starts a new place with a small prompt when most of the full one would have to be
read afresh, and warms the full one while the user is idle (completer.Completer._prompt). That
pays off on a slow engine (vLLM on a CPU reads ~400 tokens/s: a cold 1,300-token prompt takes
seconds) and costs context for nothing on a fast one (a GPU reads it in tens of milliseconds).
So this model matches the prompt against those sent lately, the way vLLM's prefix cache matches
blocks, until the engine has shown itself fast; from then on it says "all of it is cached".
Until the first measurement it assumes slow: a fast engine then answers one small prompt (and
proves its speed on it), where assuming fast would make a slow one take seconds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from codegen_complete.completion.kvcache import common_prefix_length

# The block size docs/teams.md asks vLLM for (`--block-size 32`): a cached prefix counts whole
# blocks only.
BLOCK_TOKENS = 32
# Prompts the server is assumed to still hold (vLLM evicts least recently used blocks).
REMEMBERED = 16
# An engine that reads uncached prompt tokens faster than this answers a full cold prompt
# (~1,300 tokens) within a few hundred milliseconds: never worth a smaller prompt.
FAST_PREFILL_TOKENS_S = 4_000.0
# Prefill speed is measured on requests with at least this many tokens to read afresh.
MEASURED_FROM = 128


class ServerCache:
    def __init__(self) -> None:
        self._sent: deque[tuple[int, ...]] = deque(maxlen=REMEMBERED)
        self.prefill_tokens_s: float | None = None  # None: not measured yet

    def held(self, tokens: Sequence[int]) -> int:
        """How many first tokens of `tokens` the server's cache probably holds."""
        best = max((common_prefix_length(tokens, sent) for sent in self._sent), default=0)
        return best // BLOCK_TOKENS * BLOCK_TOKENS

    def cached(self, tokens: Sequence[int]) -> int:
        """`Backend.cached`: everything on an engine measured fast; else what the cache
        probably holds."""
        rate = self.prefill_tokens_s
        if rate is not None and rate >= FAST_PREFILL_TOKENS_S:
            return len(tokens)
        return self.held(tokens)

    def read(self, tokens: Sequence[int], first_token_s: float) -> None:
        """The server read `tokens` and sent its first token after `first_token_s`."""
        fresh = len(tokens) - self.held(tokens)
        if fresh >= MEASURED_FROM and first_token_s > 0:
            rate = fresh / first_token_s
            previous = self.prefill_tokens_s
            # Smoothed: one request queued behind another's is not the engine's speed.
            self.prefill_tokens_s = rate if previous is None else (previous + rate) / 2
        self._sent.append(tuple(tokens))
