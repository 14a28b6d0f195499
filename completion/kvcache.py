"""The decoder's key/value cache: preallocated buffers the attention op appends to in place,
and a small pool of them so that several prompts stay cached at once.

A user jumps between places and buffers; each place's prompt differs from the others' after a
shared start (the cross-file context, the template's first tokens). With one cache, going back
to the previous place re-runs its whole prompt; with a pool, the engine continues from the slot
sharing the longest prefix, and a new place takes the least recently used slot, starting from a
copy of the shared prefix, so the place it leaves stays cached.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort


@dataclass(frozen=True)
class DecoderLayout:
    """Names and shapes of the decoder's cache, read from the builder's genai_config.json."""

    layers: int
    kv_heads: int
    head_size: int
    past_key: str  # e.g. "past_key_values.%d.key"
    past_value: str
    present_key: str
    present_value: str

    @classmethod
    def from_genai_config(cls, path: Path) -> DecoderLayout:
        decoder = json.loads(path.read_text())["model"]["decoder"]
        return cls(
            layers=decoder["num_hidden_layers"],
            kv_heads=decoder["num_key_value_heads"],
            head_size=decoder["head_size"],
            past_key=decoder["inputs"]["past_key_names"],
            past_value=decoder["inputs"]["past_value_names"],
            present_key=decoder["outputs"]["present_key_names"],
            present_value=decoder["outputs"]["present_value_names"],
        )


# Room for this many tokens in the KV buffers at first; they double when a prompt needs more.
INITIAL_CAPACITY = 2048


class KVCache:
    """Preallocated key/value buffers that the attention op reads and appends to in place.

    Binding the same buffer as a layer's past input and its present output makes
    GroupQueryAttention write the new positions into it (onnxruntime's shared-buffer mode), so
    a decode step copies nothing, and dropping a suffix of the cache is free: the valid length
    is the attention mask's. Without it every step copies the whole cache once per layer.
    """

    def __init__(self, layout: DecoderLayout, capacity: int) -> None:
        self.layout = layout
        self.capacity = 0
        self.buffers: list[np.ndarray] = []
        self.values: list[ort.OrtValue] = []
        self._grow(capacity, keep=0)

    def _grow(self, capacity: int, keep: int) -> None:
        shape = (1, self.layout.kv_heads, capacity, self.layout.head_size)
        buffers = [np.zeros(shape, dtype=np.float32) for _ in range(2 * self.layout.layers)]
        for old, new in zip(self.buffers, buffers, strict=False):
            new[:, :, :keep] = old[:, :, :keep]
        self.buffers = buffers
        # OrtValues over the numpy memory: no copy, the arrays stay alive with them.
        self.values = [ort.OrtValue.ortvalue_from_numpy(buffer) for buffer in buffers]
        self.capacity = capacity

    def reserve(self, length: int) -> None:
        if length > self.capacity:
            capacity = self.capacity
            while capacity < length:
                capacity *= 2
            self._grow(capacity, keep=self.capacity)

    def copy_prefix(self, source: KVCache, length: int) -> None:
        """Make this cache's first `length` positions a copy of `source`'s."""
        self.reserve(length)
        for mine, theirs in zip(self.buffers, source.buffers, strict=True):
            mine[:, :, :length] = theirs[:, :, :length]

    def bind(self, binding: ort.IOBinding) -> None:
        layout = self.layout
        for layer in range(layout.layers):
            for past, present, value in (
                (layout.past_key, layout.present_key, self.values[2 * layer]),
                (layout.past_value, layout.present_value, self.values[2 * layer + 1]),
            ):
                binding.bind_ortvalue_input(past % layer, value)
                binding.bind_ortvalue_output(present % layer, value)


# Cached prompts kept at once (each slot costs about 25 KB a token for Qwen2.5-Coder-0.5B:
# ~50 MB at 2,048 tokens).
SLOTS = 3
# A prompt that leaves a slot's last prompt more than this many tokens before its end starts
# a new slot (copying the shared prefix) rather than overwriting that slot: a jump, not a
# keystroke. (Generated tokens after the prompt do not count: typing replaces them anyway.)
FORK_TOKENS = 64


@dataclass
class Slot:
    cache: KVCache
    tokens: list[int] = field(default_factory=list)  # whose keys and values are cached
    prompt_length: int = 0  # of the last prompt run here (the rest was generated)
    last_used: int = 0


class CachePool:
    """Up to `size` cached token sequences; `take(prompt)` picks the slot to continue from."""

    def __init__(self, layout: DecoderLayout, size: int = SLOTS) -> None:
        self.layout = layout
        self.size = size
        self.slots = [Slot(KVCache(layout, INITIAL_CAPACITY))]
        self._clock = 0

    def take(self, prompt: Sequence[int]) -> tuple[Slot, int]:
        """The slot for `prompt` and how many of its first tokens are already cached there."""
        self._clock += 1
        best = max(self.slots, key=lambda slot: common_prefix_length(slot.tokens, prompt))
        shared = common_prefix_length(best.tokens, prompt)
        if min(best.prompt_length, len(best.tokens)) - shared > FORK_TOKENS:
            best = self._fork(best, shared)
        best.last_used = self._clock
        best.prompt_length = len(prompt)
        return best, shared

    def _fork(self, source: Slot, shared: int) -> Slot:
        """A slot holding `source`'s first `shared` tokens: a new one while the pool has room,
        else the least recently used one (`source` itself when that is it: no copy)."""
        if len(self.slots) < self.size:
            target = Slot(KVCache(self.layout, source.cache.capacity))
            self.slots.append(target)
        else:
            target = min(self.slots, key=lambda slot: slot.last_used)
            if target is source:
                return source
        target.cache.copy_prefix(source.cache, shared)
        target.tokens = source.tokens[:shared]
        return target

    def clear(self) -> None:
        for slot in self.slots:
            slot.tokens = []


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    limit = min(len(a), len(b))
    for index in range(limit):
        if a[index] != b[index]:
            return index
    return limit
