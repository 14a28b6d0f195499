"""Real use through the LSP server: jump to a place in a real file, ask, type a line, move on.

    python -m codegen_complete.measure.editor.realuse [--jumps 60] [--busy] [--seed 1]

For each project (real packages vendored under tests/fixtures/vendor, and the cross-file
fixtures) a fresh `codegen-complete serve` gets the project as its workspace, as an editor
would. Each jump picks a file and a line of code in it; the line's text after its indentation
is deleted, and (a) a suggestion is requested at once, invoked (cold: the first suggestion at
a new place); (b) the line is typed back at 40-80 ms a key, each key a change and an automatic
request not awaited (as an editor sends them); (c) at the end of the typed line, one more
automatic request (a finished line should get nothing on its own line). Up to four files stay
open, so other buffers' text is in play.

Reported: time to first suggestion at a new place (p50/p95), keystroke latency of answers that
carried a suggestion (p50/p95), empty cold answers and why (from the server's log lines), how
many suggestions were cut by the token cap (runaway), copied the next line, or added a tail to
a finished line, and the server's peak RSS. `--busy` keeps one core busy meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from codegen_complete.context.classify import FINISHING_CHARACTERS
from codegen_complete.measure.editor.lspclient import EditorSession, Received
from codegen_complete.measure.editor.peer import LlamaSession
from codegen_complete.measure.quality.data import FIXTURES, VENDOR
from codegen_complete.models.catalog import DEFAULT_MODEL
from codegen_complete.models.store import SOURCE_GGUF, models_root

PROJECTS = (VENDOR / "click", VENDOR / "commander", FIXTURES / "crossfile" / "inventory")
SUFFIXES = (".py", ".js")
MIN_LINES, MAX_LINES = 20, 5_000
OPEN_BUFFERS = 4
COMMENT_STARTS = ("#", "//", "/*", "*", '"""', "'''")


class Editor(Protocol):
    """A pipeline as the benchmark drives it: our LSP server, or the peer's HTTP server."""

    texts: dict[str, str]
    log: list[str]

    @property
    def crashed(self) -> bool: ...

    def peak_rss_mb(self) -> float: ...

    def open(self, path: Path, text: str) -> str: ...

    def close(self, uri: str) -> None: ...

    def replace(self, uri: str, start: int, end: int, new_text: str) -> None: ...

    def request(self, uri: str, offset: int, invoked: bool) -> asyncio.Task[Received]: ...

    async def stop(self) -> None: ...


Start = Callable[[Path], Awaitable[Editor]]


@dataclass
class Tally:
    """What one run saw."""

    label: str
    jumps: int = 0
    cold_latencies_s: list[float] = field(default_factory=list)
    cold_empty: int = 0
    key_latencies_s: list[float] = field(default_factory=list)  # answers with a suggestion
    key_requests: int = 0
    key_empty: int = 0
    suggestions: int = 0  # cold and typing answers with a suggestion
    next_line_copies: int = 0
    finished_line_tails: int = 0
    finished_lines: int = 0
    peak_rss_mb: float = 0.0
    crashed: bool = False
    reasons: dict[str, int] = field(default_factory=dict)  # why answers were empty
    runaway: int = 0  # suggestions generated up to the token cap
    retried: int = 0  # answers where the name check asked the model for its next best
    # Each jump: file, line, the line's text, the first suggestion, its latency, whether it
    # copied the next line.
    places: list[dict[str, object]] = field(default_factory=list)

    def cold_ms(self, fraction: float) -> float:
        return _percentile_ms(self.cold_latencies_s, fraction)

    def key_ms(self, fraction: float) -> float:
        return _percentile_ms(self.key_latencies_s, fraction)


def _percentile_ms(values: list[float], fraction: float) -> float:
    ordered = sorted(values) or [float("nan")]
    return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def project_files(project: Path) -> list[tuple[Path, str]]:
    found = []
    for path in sorted(project.rglob("*")):
        if path.suffix in SUFFIXES and path.is_file():
            text = path.read_text(encoding="utf-8")
            if MIN_LINES <= text.count("\n") <= MAX_LINES:
                found.append((path.resolve(), text))
    return found


def code_lines(text: str) -> list[int]:
    """Indexes of lines worth typing: code, not blank, not a comment or docstring line."""
    lines = text.split("\n")
    return [
        index
        for index, line in enumerate(lines)
        if len(line.strip()) >= 8 and not line.strip().startswith(COMMENT_STARTS)
    ]


def _next_code_line(text: str, offset: int) -> str:
    rest = text[offset:].split("\n")[1:]
    return next((line.strip() for line in rest if line.strip()), "")


def copies_next_line(text: str, offset: int, suggestion: str) -> bool:
    line_start = text.rfind("\n", 0, offset) + 1
    whole = (text[line_start:offset] + suggestion).strip()
    below = _next_code_line(text, offset)
    return bool(whole) and "\n" not in suggestion.strip("\n") and whole == below


async def one_jump(
    session: Editor, rng: random.Random, uri: str, line_index: int, tally: Tally
) -> None:
    text = session.texts[uri]
    line_start = sum(len(line) + 1 for line in text.split("\n")[:line_index])
    line = text.split("\n")[line_index]
    indent = len(line) - len(line.lstrip())
    cursor = line_start + indent
    typed = line[indent:].rstrip()
    session.replace(uri, cursor, line_start + len(line), "")

    # (a) cold: the first suggestion at the new place.
    cold = await session.request(uri, cursor, invoked=True)
    tally.jumps += 1
    tally.cold_latencies_s.append(cold.latency_s)
    # (A suggestion that is the line itself is right, even where the next line is the same.)
    copy = (
        bool(cold.text)
        and cold.text.strip() != typed
        and copies_next_line(session.texts[uri], cursor, cold.text)
    )
    tally.suggestions += bool(cold.text)
    tally.next_line_copies += copy
    tally.cold_empty += not cold.text
    tally.places.append({
        "file": uri, "line": line_index + 1, "text": typed, "suggestion": cold.text,
        "latency_s": round(cold.latency_s, 3), "copies_next_line": copy,
    })  # fmt: skip

    # (b) type the line back.
    pending: list[asyncio.Task[Received]] = []
    for character in typed:
        session.replace(uri, cursor, cursor, character)
        cursor += 1
        pending.append(session.request(uri, cursor, invoked=False))
        tally.key_requests += 1
        await asyncio.sleep(rng.uniform(0.04, 0.08))
    for answer in await asyncio.gather(*pending):
        if answer.text:
            tally.key_latencies_s.append(answer.latency_s)
            tally.suggestions += 1
        else:
            tally.key_empty += 1

    # (c) the line is whole again: a finished line gets nothing on its own line.
    if typed and typed[-1] in FINISHING_CHARACTERS:
        tally.finished_lines += 1
        end = await session.request(uri, cursor, invoked=False)
        tally.finished_line_tails += bool(end.text) and not end.text.startswith("\n")


def _reasons(log: list[str], tally: Tally) -> None:
    """Why answers were empty, and how many ran to the token cap, from the server's log."""
    for line in log:
        if "stop max_tokens" in line and ": nothing to suggest" not in line:
            tally.runaway += 1
        tally.retried += "name check retried" in line
        for reason in (
            "superseded", "cancelled", "skipped", "past the end", "time limit", "the model "
            "wrote nothing", "post-processing dropped it",
        ):  # fmt: skip
            if reason in line:
                tally.reasons[reason] = tally.reasons.get(reason, 0) + 1
                break


async def run_project(
    project: Path, jumps: int, rng: random.Random, tally: Tally, start: Start
) -> None:
    files = project_files(project)
    if not files:
        raise SystemExit(f"{project}: no .py or .js files of {MIN_LINES}-{MAX_LINES} lines")
    session = await start(project.resolve())
    opened: list[str] = []
    try:
        for _ in range(jumps):
            path, original = rng.choice(files)
            uri = path.as_uri()
            if uri not in opened:  # each jump types its line back: the text is the original
                session.open(path, original)
                opened.append(uri)
            if len(opened) > OPEN_BUFFERS:
                session.close(opened.pop(0))
            candidates = code_lines(session.texts[uri])
            await one_jump(session, rng, uri, rng.choice(candidates), tally)
        tally.peak_rss_mb = max(tally.peak_rss_mb, session.peak_rss_mb())
    finally:
        tally.crashed |= session.crashed
        await session.stop()
    _reasons(session.log, tally)


async def measure(
    projects: list[Path],
    jumps: int,
    seed: int,
    label: str,
    settings: dict[str, Any],
    pythonpath: str | None = None,
) -> Tally:
    """Our server with `settings` (LSP initialization options); `pythonpath` runs another
    checkout's server."""

    async def start(root: Path) -> Editor:
        return await EditorSession.start(root, settings, pythonpath)

    return await replay(projects, jumps, seed, label, start)


async def replay(projects: list[Path], jumps: int, seed: int, label: str, start: Start) -> Tally:
    """The same jumps and typing (for a seed) against whichever pipeline `start` starts."""
    rng = random.Random(seed)
    tally = Tally(label)
    per_project = max(1, jumps // len(projects))
    for project in projects:
        await run_project(project, per_project, rng, tally, start)
    return tally


def peer_start(gguf: Path, threads: int) -> Start:
    async def start(root: Path) -> Editor:
        return await LlamaSession.start(gguf, threads)

    return start


def table(tallies: list[Tally]) -> str:
    rows = [
        "| run | jumps | first suggestion p50 / p95 ms | keystroke p50 / p95 ms | empty first "
        "answers | time-limit empties | runaway | next-line copies | tails on finished lines "
        "| peak RSS MB |",
        "|" + "---|" * 10,
    ]
    for t in tallies:
        rows.append(
            f"| {t.label} | {t.jumps} | {t.cold_ms(0.5):.0f} / {t.cold_ms(0.95):.0f} | "
            f"{t.key_ms(0.5):.0f} / {t.key_ms(0.95):.0f} | {t.cold_empty} | "
            f"{t.reasons.get('time limit', 0)} | {t.runaway} | {t.next_line_copies} | "
            f"{t.finished_line_tails}/{t.finished_lines} | {t.peak_rss_mb:.0f} |"
        )
    return "\n".join(rows)


def busy_core() -> subprocess.Popen[bytes]:
    """Another process keeping one core busy, as a build does while the user types."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jumps", type=int, default=60, help="in all, split over projects")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--busy", action="store_true", help="also run with one core busy")
    parser.add_argument(
        "--peer", action="store_true", help="also replay against llama.cpp (measure/editor/peer.py)"
    )
    parser.add_argument("--project", type=Path, action="append", default=None)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument(
        "--server-pythonpath",
        default=None,
        help="PYTHONPATH for the server: measure another checkout's (before/after)",
    )
    parser.add_argument("--label", default="", help="prefix of the runs' labels")
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="a server setting for the runs, e.g. retrieval=false (repeatable)",
    )
    args = parser.parse_args(argv)
    settings: dict[str, Any] = {"model": args.model, "threads": args.threads}
    for setting in args.setting:
        key, _, value = setting.partition("=")
        settings[key] = json.loads(value)
    if args.models_dir is not None:
        settings["modelsDir"] = str(args.models_dir)
    gguf = models_root(args.models_dir) / args.model / SOURCE_GGUF
    if args.peer and not gguf.is_file():
        parser.error(
            f"--peer runs llama.cpp on {gguf}, which is not there: reinstall the model with "
            f"`codegen-complete model install {args.model} --force --keep-source`"
        )
    projects = args.project or list(PROJECTS)

    def run(label: str) -> list[Tally]:
        label = f"{args.label}{label}"
        ours = measure(projects, args.jumps, args.seed, label, settings, args.server_pythonpath)
        tallies = [asyncio.run(ours)]
        if args.peer:
            start = peer_start(gguf, args.threads)
            peer = asyncio.run(
                replay(projects, args.jumps, args.seed, f"llama.cpp, {label}", start)
            )
            tallies.append(peer)
        return tallies

    tallies = run("quiet")
    if args.busy:
        load = busy_core()
        try:
            tallies += run("one core busy")
        finally:
            load.kill()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{args.threads} threads")  # fmt: skip
    print(table(tallies))
    for tally in tallies:
        print(f"{tally.label}: empty answers by reason {tally.reasons}")
        retried = f"{tally.retried} retried by the name check"
        print(f"{tally.label}: {tally.suggestions} suggestions, {retried}")
    if args.peer and len(tallies) % 2 == 0:
        for ours, peer in zip(tallies[::2], tallies[1::2], strict=True):
            print(
                f"{ours.label}: first suggestion p50 {ours.cold_ms(0.5) / peer.cold_ms(0.5):.2f}x, "
                f"p95 {ours.cold_ms(0.95) / peer.cold_ms(0.95):.2f}x llama.cpp's"
            )
    if args.json_out is not None:
        args.json_out.write_text(json.dumps([asdict(t) for t in tallies], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
