"""The engines `codegen-complete bench` compares, each behind the same three calls.

Each runs in its own child process (see bench.py) so that its peak memory is its own.
All take the same token ids, so all do the same work: greedy decoding from one prompt.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class BenchEngine(Protocol):
    def first_token_s(self, tokens: Sequence[int], *, cold: bool) -> float:
        """Seconds to the first generated token; cold drops every cached prefix first."""
        ...

    def decode_ms_per_token(self, tokens: Sequence[int], count: int) -> float:
        """Mean ms per generated token after the first, over `count` tokens."""
        ...


class OursEngine:
    def __init__(self, model_dir: Path, threads: int, speculate: bool) -> None:
        from codegen_complete.completion.engine import Engine

        self.engine = Engine(model_dir, threads, speculate=speculate)

    def first_token_s(self, tokens: Sequence[int], *, cold: bool) -> float:
        if cold:
            self.engine.forget()
        started = time.perf_counter()
        self.engine.generate(tokens, max_new_tokens=1, stop_tokens=frozenset())
        return time.perf_counter() - started

    def decode_ms_per_token(self, tokens: Sequence[int], count: int) -> float:
        generation = self.engine.generate(tokens, max_new_tokens=count, stop_tokens=frozenset())
        return generation.decode_ms / (len(generation.tokens) - 1)


class LlamaCppEngine:
    def __init__(self, gguf: Path, threads: int) -> None:
        from llama_cpp import Llama

        self.llm = Llama(
            model_path=str(gguf),
            n_ctx=4096,
            n_batch=512,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )

    def _tokens(self, tokens: Sequence[int], count: int) -> list[float]:
        """Times at which each of `count` greedy tokens arrived."""
        started = time.perf_counter()
        arrivals = []
        # generate() reuses the KV cache for the longest common prefix with its last input.
        for _ in self.llm.generate(list(tokens), top_k=1, temp=0.0):
            arrivals.append(time.perf_counter() - started)
            if len(arrivals) == count:
                break
        return arrivals

    def first_token_s(self, tokens: Sequence[int], *, cold: bool) -> float:
        if cold:
            self.llm.reset()  # type: ignore[no-untyped-call,unused-ignore]
        return self._tokens(tokens, 1)[0]

    def decode_ms_per_token(self, tokens: Sequence[int], count: int) -> float:
        arrivals = self._tokens(tokens, count)
        return 1000 * (arrivals[-1] - arrivals[0]) / (len(arrivals) - 1)


class TransformersEngine:
    """transformers + torch eager in fp32, with its own KV cache cropped to the common prefix."""

    def __init__(self, gguf: Path, threads: int) -> None:
        import torch
        from transformers import AutoModelForCausalLM

        torch.set_num_threads(threads)
        self.torch = torch
        self.model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32
        ).eval()  # type: ignore[no-untyped-call,unused-ignore]
        self.cache: Any = None
        self.cached: list[int] = []

    def _feed(self, tokens: list[int]) -> int:
        from transformers import DynamicCache

        common = 0
        while common < min(len(self.cached), len(tokens) - 1) and (
            self.cached[common] == tokens[common]
        ):
            common += 1
        if self.cache is None or common == 0:
            self.cache, common = DynamicCache(), 0
        elif self.cache.get_seq_length() > common:
            self.cache.crop(common - self.cache.get_seq_length())  # negative: drop that many
        with self.torch.inference_mode():
            out = self.model(
                self.torch.tensor([tokens[common:]]), past_key_values=self.cache, use_cache=True
            )
        self.cached = list(tokens)
        return int(out.logits[0, -1].argmax())

    def first_token_s(self, tokens: Sequence[int], *, cold: bool) -> float:
        if cold:
            self.cache, self.cached = None, []
        started = time.perf_counter()
        self._feed(list(tokens))
        return time.perf_counter() - started

    def decode_ms_per_token(self, tokens: Sequence[int], count: int) -> float:
        sequence = list(tokens)
        sequence.append(self._feed(sequence))
        started = time.perf_counter()
        for _ in range(count - 1):
            sequence.append(self._feed(sequence))
        return 1000 * (time.perf_counter() - started) / (count - 1)


def read_bandwidth_gb_s(threads: int, megabytes: int = 512, repeats: int = 5) -> float:
    """Memory read bandwidth: `threads` threads each summing its own array (best of N).

    numpy releases the GIL inside the reduction, so the threads read in parallel.
    """
    import threading

    arrays = [np.ones(megabytes * 2**20 // 4, dtype=np.float32) for _ in range(threads)]
    best = float("inf")
    for _ in range(repeats):
        workers = [threading.Thread(target=np.sum, args=(array,)) for array in arrays]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        best = min(best, time.perf_counter() - started)
    return threads * megabytes * 2**20 / best / 1e9


def memory_mb(field: str, pid: int | str = "self") -> float:
    """A memory figure of /proc/PID/status in MB: VmHWM (peak resident) or VmRSS (now)."""
    status = Path(f"/proc/{pid}/status")
    for line in status.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in {status}")


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it is not inherited from
    the parent across fork and exec)."""
    return memory_mb("VmHWM")
