"""The remote backend measured against a real vLLM on this machine, in one run:

    python -m codegen_complete.measure.speed.teams [--jumps 18] [--places 8] [--typists 1,2,4,8]

1. Prompt layout and the server's prefix cache: at real places in real files, the time to the
   first streamed token of a cold request and of the same request one typed character later,
   for the product's layout (suffix first, the prefix and the cursor last) and the family's
   published one (prefix, suffix, middle). One token each, so the time is the prompt's.
2. Local against remote through the LSP server: the real-use replay
   (measure/editor/realuse.py: jump, ask, type the line back) with the in-process model, then
   with vLLM, same jumps.
3. Load: N simulated typists, each with its own LSP server (as each developer has), replaying
   edits against the one vLLM at once: keystroke-to-suggestion p50/p95 and the share of
   requests superseded by the typist's next keystroke.

vLLM comes from `make vllm` (measure/speed/vllm.py). Prints markdown tables for docs/teams.md.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen_complete.completion.backend import Limits
from codegen_complete.completion.completer import Completer
from codegen_complete.completion.options import DEFAULTS
from codegen_complete.completion.prompt import Prompt
from codegen_complete.completion.remote.backend import RemoteBackend
from codegen_complete.completion.remote.endpoint import RemoteConfig
from codegen_complete.measure.editor import realuse
from codegen_complete.measure.speed.vllm import VllmServer, start_vllm
from codegen_complete.models.catalog import DEFAULT_MODEL
from codegen_complete.models.load import load
from codegen_complete.models.store import models_root


@dataclass
class LayoutTimes:
    name: str
    cold_ms: list[float]
    typed_ms: list[float]


def places(count: int, seed: int) -> list[tuple[str, str, str]]:
    """In `count` different real files, a line of code being typed: (the text before the
    cursor, the next character the user types, the text after the line), as in the real-use
    replay, where the rest of the line is gone and the user types it back."""
    rng = random.Random(seed)
    files = [f for project in realuse.PROJECTS for f in realuse.project_files(project)]
    chosen = rng.sample(files, min(count, len(files)))
    found = []
    for _, text in chosen:
        lines = text.split("\n")
        index = rng.choice(realuse.code_lines(text))
        start = sum(len(line) + 1 for line in lines[:index])
        line = lines[index]
        cursor = start + len(line) - len(line.lstrip()) + len(line.strip()) // 2
        found.append((text[:cursor], text[cursor], text[start + len(line) :]))
    return found


def first_token_ms(backend: RemoteBackend, tokens: list[int]) -> float:
    limits = Limits(max_new_tokens=1, deadline=time.perf_counter() + 60)
    return backend.continue_prompt(Prompt(tokens, "", ""), limits).prefill_ms


def layouts(completer: Completer, spots: Sequence[tuple[str, str, str]]) -> list[LayoutTimes]:
    backend = completer.remote
    assert backend is not None
    prompts = completer.prompts
    results = []
    for name, template in (
        ("ours: suffix first, cursor last", completer.family.template),
        ("published: prefix, suffix, middle", completer.family.plain_template),
    ):
        times = LayoutTimes(name, [], [])
        for before, key, after in spots:
            # A few tokens new to the server in front: cold means cold, for either layout.
            salt = prompts.encode(f"# {time.time_ns()}\n")
            for typed, into in (("", times.cold_ms), (key, times.typed_ms)):
                windows = prompts.windows(before + typed, after, DEFAULTS.budget)
                tokens = salt + prompts.assemble(template, windows)
                into.append(first_token_ms(backend, tokens))
        results.append(times)
    return results


def layout_table(results: list[LayoutTimes]) -> str:
    rows = [
        "| layout | cold first token p50 / max ms | one key later p50 / max ms | ratio p50 |",
        "|---|---|---|---|",
    ]
    for r in results:
        cold, typed = statistics.median(r.cold_ms), statistics.median(r.typed_ms)
        rows.append(
            f"| {r.name} | {cold:.0f} / {max(r.cold_ms):.0f} | {typed:.0f} / "
            f"{max(r.typed_ms):.0f} | {typed / cold:.2f} |"
        )
    return "\n".join(rows)


@dataclass
class Demand:
    """What a group of typists asked of the server, from its counters."""

    seconds: float
    prompt_tokens: float  # sent
    cached_tokens: float  # of those, found in the prefix cache
    generated_tokens: float

    def per_typist_s(self, typists: int, tokens: float) -> float:
        return tokens / self.seconds / typists


# Prompt tokens are counted as prefix-cache queries: vLLM's prompt token counter leaves out
# aborted requests, and the backend closes most streams early (the line was complete).
COUNTERS = (
    "vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total",
    "vllm:generation_tokens_total",
)  # fmt: skip


def demand(
    server: VllmServer, run: Callable[[], Coroutine[Any, Any, realuse.Tally]]
) -> tuple[realuse.Tally, Demand]:
    before = [server.metric(name) for name in COUNTERS]
    started = time.perf_counter()
    tally = asyncio.run(run())
    seconds = time.perf_counter() - started
    after = [server.metric(name) for name in COUNTERS]
    prompt, cached, generated = (a - b for a, b in zip(after, before, strict=True))
    return tally, Demand(seconds, prompt, cached, generated)


async def typists(count: int, jumps: int, settings: dict[str, object]) -> realuse.Tally:
    """`count` typists at once, each its own server and its own jumps; their tallies summed."""
    projects = list(realuse.PROJECTS)

    async def one(index: int) -> realuse.Tally:
        return await realuse.measure(projects, jumps, 100 + index, f"typist {index}", settings)

    tallies = await asyncio.gather(*(one(i) for i in range(count)))
    total = realuse.Tally(f"{count} typists")
    for tally in tallies:
        total.jumps += tally.jumps
        total.cold_latencies_s += tally.cold_latencies_s
        total.key_latencies_s += tally.key_latencies_s
        total.key_requests += tally.key_requests
        total.key_empty += tally.key_empty
        total.cold_empty += tally.cold_empty
        total.crashed |= tally.crashed
        for reason, n in tally.reasons.items():
            total.reasons[reason] = total.reasons.get(reason, 0) + n
    return total


def load_table(runs: list[tuple[int, realuse.Tally, Demand]]) -> str:
    rows = [
        "| typists | keystroke requests | keystroke p50 / p95 ms | first suggestion p50 / p95 ms "
        "| superseded | time-limit empties | per typist: prompt tokens/s (uncached) | "
        "per typist: generated tokens/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for count, t, d in runs:
        superseded = t.reasons.get("superseded", 0)
        uncached = d.per_typist_s(count, d.prompt_tokens - d.cached_tokens)
        rows.append(
            f"| {count} | {t.key_requests} | {t.key_ms(0.5):.0f} / "
            f"{t.key_ms(0.95):.0f} | {t.cold_ms(0.5):.0f} / {t.cold_ms(0.95):.0f} | "
            f"{100 * superseded / max(1, t.key_requests):.0f}% | "
            f"{t.reasons.get('time limit', 0)} | "
            f"{d.per_typist_s(count, d.prompt_tokens):.0f} ({uncached:.0f}) | "
            f"{d.per_typist_s(count, d.generated_tokens):.1f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=8, help="files for the layout timing")
    parser.add_argument("--jumps", type=int, default=18, help="real-use jumps, local and remote")
    parser.add_argument("--typists", default="1,2,4,8", help="load test sizes")
    parser.add_argument("--typist-jumps", type=int, default=3, help="jumps per typist")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2, help="the local model's")
    args = parser.parse_args(argv)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as work:
        server = start_vllm(Path(work) / "vllm.log")
        try:
            run(args, server)
        finally:
            server.stop()
    return 0


def run(args: argparse.Namespace, server: VllmServer) -> None:
    completer = load(None, DEFAULT_MODEL, remote=RemoteConfig(server.url))
    try:
        started = time.perf_counter()
        print("\n## Prompt layout on vLLM's prefix cache\n")
        print(layout_table(layouts(completer, places(args.places, args.seed))))
        print(f"\n({time.perf_counter() - started:.0f} s)")
    finally:
        completer.close()

    local = {"model": DEFAULT_MODEL, "threads": args.threads, "modelsDir": str(models_root())}
    remote = {**local, "backend": "remote", "remoteUrl": server.url}
    print("\n## Local against remote, real use\n")
    projects = list(realuse.PROJECTS)
    tallies = [
        asyncio.run(realuse.measure(projects, args.jumps, args.seed, "local (in-process)", local)),
        asyncio.run(realuse.measure(projects, args.jumps, args.seed, "remote (vLLM)", remote)),
    ]
    print(realuse.table(tallies))

    print("\n## Typists sharing one vLLM\n")
    runs = []
    for count in (int(n) for n in args.typists.split(",")):
        group = functools.partial(typists, count, args.typist_jumps, remote)
        tally, asked = demand(server, group)
        runs.append((count, tally, asked))
    print(load_table(runs))


if __name__ == "__main__":
    sys.exit(main())
