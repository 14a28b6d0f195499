"""Replay typing against `codegen-complete serve`: keystroke-to-response latency under load.

    .venv/bin/python bench/replay.py --keystrokes 10000

Starts the server over stdio with the default model, opens a real source file, and retypes
its lines one keystroke at a time, 40 ms apart with a 400 ms pause after each line (every
keystroke a didChange and an automatic inlineCompletion request, not waiting for answers),
cancelling every 25th request at once and closing and reopening the document every 2,000
keystrokes. Prints latency p50/p95 of answered
requests, how many were superseded (answered empty because a newer one came), cancelled,
hung (no answer within 60 s), whether the server crashed, and its peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "completion" / "postprocess.py"


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def replay(keystrokes: int, interval_s: float, pause_s: float) -> None:
    client = LanguageClient("replay", "1")
    await client.start_io(sys.executable, "-m", "codegen_complete.server.cli", "serve")
    ready = asyncio.Event()
    client.feature(types.WINDOW_LOG_MESSAGE)(lambda params: ready.set())
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=REPO.as_uri(),
            initialization_options={"debounceMs": 0},
        )
    )
    client.initialized(types.InitializedParams())
    await asyncio.wait_for(ready.wait(), 120)

    uri = (REPO / "replay_target.py").as_uri()
    lines = SOURCE.read_text().splitlines()
    text, version = "", 1

    def open_document() -> None:
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
            )
        )

    open_document()
    latencies: list[float] = []
    superseded = cancelled = 0
    pending: list[tuple[float, asyncio.Task[object], list[float]]] = []
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
        answered: list[float] = []
        task = asyncio.ensure_future(
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
        sent = time.perf_counter()
        # The moment of the answer, not of the next look at it.
        task.add_done_callback(lambda _, when=answered: when.append(time.perf_counter()))
        if keystroke % 25 == 24:
            await asyncio.sleep(0)  # let the request go out, then cancel it
            task.cancel()
            cancelled += 1
        else:
            pending.append((sent, task, answered))
        if keystroke % 2000 == 1999:
            client.text_document_did_close(
                types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri))
            )
            open_document()
        # A typist pauses at the end of a line: that is when a suggestion gets its chance.
        await asyncio.sleep(pause_s if character == "\n" else interval_s)
        # Collect what has been answered.
        still = []
        for when, task, done_at in pending:
            if task.done():
                result = task.result()
                if isinstance(result, types.InlineCompletionList) and not result.items:
                    superseded += 1
                else:
                    latencies.append(done_at[0] - when)
            else:
                still.append((when, task, done_at))
        pending = still
    _, waiting = (
        await asyncio.wait([task for _, task in pending], timeout=60) if pending else (set(), set())
    )
    for _, task in pending:
        if task.done() and not task.cancelled():
            result = task.result()
            if isinstance(result, types.InlineCompletionList) and not result.items:
                superseded += 1
    hung = len(waiting)
    pid = client._server.pid if client._server else 0  # type: ignore[attr-defined]
    rss = peak_rss_mb(pid)
    crashed = client._server is not None and client._server.returncode is not None  # type: ignore[attr-defined]
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [float("nan")]
    print(f"{keystrokes} keystrokes in {elapsed:.0f} s ({interval_s * 1000:.0f} ms apart)")
    print(
        f"answered with a suggestion: {len(latencies)}; latency p50 "
        f"{1000 * statistics.median(ordered):.0f} ms, p95 "
        f"{1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]:.0f} ms"
    )
    print(
        f"superseded or nothing to suggest (empty): {superseded}; cancelled by the client: "
        f"{cancelled}; hung: {hung}; crashed: {crashed}; server peak RSS {rss:.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keystrokes", type=int, default=10_000)
    parser.add_argument("--interval-ms", type=float, default=40.0)
    parser.add_argument("--pause-ms", type=float, default=400.0, help="after each line")
    args = parser.parse_args()
    asyncio.run(replay(args.keystrokes, args.interval_ms / 1000, args.pause_ms / 1000))


if __name__ == "__main__":
    main()
