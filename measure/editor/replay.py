"""Replay typing against `codegen-complete serve`: keystroke-to-response latency under load.

    .venv/bin/python -m codegen_complete.measure.editor.replay --keystrokes 10000

Starts the server over stdio with the default model, opens a real source file, and retypes
its lines one keystroke at a time, 40 ms apart with a 400 ms pause after each line (every
keystroke a didChange and an automatic inlineCompletion request, not waiting for answers),
cancelling every 25th request at once and closing and reopening the document every 2,000
keystrokes. Prints latency p50/p95 of answered requests, how many were superseded (answered
empty because a newer one came), cancelled, hung (no answer within 60 s), whether the server
crashed, and its peak RSS. tests/test_replay.py runs the same replay with a tiny model.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types

from codegen_complete.measure.editor.lspclient import EditorSession
from codegen_complete.measure.speed.bench_engines import memory_mb

# A real source file to retype, pinned so that editing the code does not change the replay.
SOURCE = Path(__file__).parents[1] / "fixtures" / "replay_source.py.txt"
REOPEN_EVERY = 2_000


@dataclass
class Replay:
    keystrokes: int
    elapsed_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)  # of answers with a suggestion
    empty: int = 0  # superseded, or nothing to suggest
    cancelled: int = 0
    hung: int = 0
    crashed: bool = False
    peak_rss_mb: float = float("nan")
    rss_at_reopen_mb: list[float] = field(default_factory=list)  # every REOPEN_EVERY keys

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies_s) or [float("nan")]
        return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def answered_at(request: Awaitable[Any]) -> tuple[Any, float]:
    """The answer and the moment it arrived, not the moment the replay next looked."""
    answer = await request
    return answer, time.perf_counter()


def count(result: Replay, sent_at: float, answer: Any, arrived_at: float) -> None:
    if isinstance(answer, types.InlineCompletionList) and not answer.items:
        result.empty += 1
    else:
        result.latencies_s.append(arrived_at - sent_at)


async def replay(
    keystrokes: int,
    interval_s: float,
    pause_s: float,
    settings: dict[str, Any] | None,
    root: Path,
) -> Replay:
    """Type SOURCE's lines into a document of a fresh server; what happened."""
    session = await EditorSession.start(root, settings)
    client = session.client

    uri = (root / "replay_target.py").as_uri()
    lines = SOURCE.read_text().splitlines()
    text, version = "", 1

    def open_document() -> None:
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
            )
        )

    open_document()
    result = Replay(keystrokes)
    pid = session.pid
    pending: list[tuple[float, asyncio.Task[tuple[Any, float]]]] = []
    line_index, column = 0, 0
    started = time.perf_counter()
    for keystroke in range(keystrokes):
        target = lines[line_index % len(lines)]
        if column < len(target):
            character, column = target[column], column + 1
        else:
            character, column, line_index = "\n", 0, line_index + 1
        row = text.count("\n")
        col = len(text) - (text.rfind("\n") + 1)
        text += character
        version += 1
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(row, col), types.Position(row, col)),
                        text=character,
                    )
                ],
            )
        )
        after_row, after_col = text.count("\n"), len(text) - (text.rfind("\n") + 1)
        task = asyncio.ensure_future(
            answered_at(
                client.text_document_inline_completion_async(
                    types.InlineCompletionParams(
                        text_document=types.TextDocumentIdentifier(uri=uri),
                        position=types.Position(after_row, after_col),
                        context=types.InlineCompletionContext(
                            trigger_kind=types.InlineCompletionTriggerKind.Automatic
                        ),
                    )
                )
            )
        )
        sent = time.perf_counter()
        if keystroke % 25 == 24:
            await asyncio.sleep(0)  # let the request go out, then cancel it
            task.cancel()
            result.cancelled += 1
        else:
            pending.append((sent, task))
        if keystroke % REOPEN_EVERY == REOPEN_EVERY - 1:
            result.rss_at_reopen_mb.append(memory_mb("VmRSS", pid))
            client.text_document_did_close(
                types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri))
            )
            open_document()
        # A typist pauses at the end of a line: that is when a suggestion gets its chance.
        await asyncio.sleep(pause_s if character == "\n" else interval_s)
        # Collect what has been answered.
        still = []
        for sent_at, task in pending:
            if task.done():
                count(result, sent_at, *task.result())
            else:
                still.append((sent_at, task))
        pending = still
    _, waiting = (
        await asyncio.wait([task for _, task in pending], timeout=60) if pending else (set(), set())
    )
    for sent_at, task in pending:
        if task.done():
            count(result, sent_at, *task.result())
    result.hung = len(waiting)
    result.crashed = session.crashed
    if not result.crashed:
        result.peak_rss_mb = session.peak_rss_mb()
    await session.stop()
    result.elapsed_s = time.perf_counter() - started
    return result


def report(result: Replay, interval_s: float) -> None:
    print(
        f"{result.keystrokes} keystrokes in {result.elapsed_s:.0f} s "
        f"({interval_s * 1000:.0f} ms apart)"
    )
    print(
        f"answered with a suggestion: {len(result.latencies_s)}; latency p50 "
        f"{result.percentile_ms(0.5):.0f} ms, p95 "
        f"{result.percentile_ms(0.95):.0f} ms"
    )
    print(
        f"superseded or nothing to suggest (empty): {result.empty}; cancelled by the client: "
        f"{result.cancelled}; hung: {result.hung}; crashed: {result.crashed}; server peak RSS "
        f"{result.peak_rss_mb:.0f} MB; RSS at each reopen "
        + ", ".join(f"{mb:.0f}" for mb in result.rss_at_reopen_mb)
        + " MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keystrokes", type=int, default=10_000)
    parser.add_argument("--interval-ms", type=float, default=40.0)
    parser.add_argument("--pause-ms", type=float, default=400.0, help="after each line")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="workspace root")
    args = parser.parse_args()
    interval_s = args.interval_ms / 1000
    pause_s = args.pause_ms / 1000
    report(asyncio.run(replay(args.keystrokes, interval_s, pause_s, None, args.root)), interval_s)


if __name__ == "__main__":
    main()
