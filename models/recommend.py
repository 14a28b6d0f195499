"""Which model and precision suit this machine: `codegen-complete model recommend`.

The figures are measured (docs/models.md, one run per row on a 2-core AMD EPYC VM with
AVX-512, 48 GB/s): prefill and decode speed with 2 threads, peak memory, quality. On another
machine they are projected, not measured: prefill is arithmetic and grows with the threads
(up to the engine's 8); decode reads every weight once per token, so memory bandwidth caps it
and it grows at most twice as fast. A model fits when its projected first suggestion at a new
place (a small prompt, then one line) stays within FIRST_SUGGESTION_S and its memory within
what the machine has available.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from codegen_complete.completion.options import INTERACTIVE

# The wait for the first suggestion at a new place that still reads as "as you type".
FIRST_SUGGESTION_S = 1.5
LINE_TOKENS = 12  # a typical line suggestion
MEMORY_HEADROOM_MB = 1024  # the editor, the index and everything else running beside it
MAX_THREADS = 8  # what the engine uses at most


@dataclass(frozen=True)
class Measured:
    model: str
    precision: str
    prefill_tokens_per_s: float  # 2 threads
    decode_ms_per_token: float  # 2 threads
    peak_rss_mb: float
    humaneval_single: float  # pass@1, 100 holes
    fresh_dev: float  # exact match, the fresh suite's dev half


@dataclass(frozen=True)
class Fit:
    measured: Measured
    first_suggestion_s: float  # projected for this machine
    fits: bool
    why: str


def machine() -> tuple[int, float]:
    """Cores this process may use, and memory available now (MB)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    available = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        available = float("inf")  # unknown: memory does not decide
    return cores or 1, available


def projected_first_suggestion_s(measured: Measured, cores: int) -> float:
    threads = max(1, min(cores, MAX_THREADS))
    prompt = INTERACTIVE.cold_prompt_tokens or 256
    prefill_s = prompt / (measured.prefill_tokens_per_s * threads / 2)
    decode_s = LINE_TOKENS * measured.decode_ms_per_token / 1000 / min(threads / 2, 2.0)
    return prefill_s + decode_s


def fits(measured: Measured, cores: int, available_mb: float) -> Fit:
    first = projected_first_suggestion_s(measured, cores)
    if measured.peak_rss_mb + MEMORY_HEADROOM_MB > available_mb:
        why = f"needs {measured.peak_rss_mb:.0f} MB + headroom, {available_mb:.0f} MB available"
        return Fit(measured, first, False, why)
    if first > FIRST_SUGGESTION_S:
        return Fit(measured, first, False, f"first suggestion ~{first:.1f} s (over "
                   f"{FIRST_SUGGESTION_S:g} s)")  # fmt: skip
    return Fit(measured, first, True, f"first suggestion ~{first:.1f} s")


def recommend(
    candidates: tuple[Measured, ...], cores: int, available_mb: float
) -> tuple[Measured, list[Fit]]:
    """The best-quality candidate that fits (the first, the smallest, when none does)."""
    fitted = [fits(m, cores, available_mb) for m in candidates]
    fitting = [f.measured for f in fitted if f.fits]
    best = max(fitting, key=lambda m: (m.fresh_dev, m.humaneval_single), default=candidates[0])
    return best, fitted


MEASURED_ON = "a 2-core AMD EPYC VM (AVX-512 VNNI), 2 threads, December 2026"
# From docs/models.md: `codegen-complete bench` (938-token prompt) for speed and memory,
# `codegen-complete eval` for quality (HumanEval single-line, 100 holes; the fresh suite's
# dev half, 96 holes, with a 60 s time limit so that the larger model is judged on what it
# writes, not on this machine's speed). Smallest first: the fallback that always fits.
MEASURED: tuple[Measured, ...] = (
    Measured("qwen2.5-coder-0.5b", "int4", 302, 14.7, 564, 71.0, 36.5),
    Measured("qwen2.5-coder-1.5b", "int4", 94, 28.5, 1508, 81.0, 40.6),
)
