"""The soak: thousands of random operations of an editor (and of a careless client) against
the server while it indexes a big workspace; crashes, slow answers and memory over time.

    python -m codegen_complete.measure.editor.soak WORKSPACE [--operations 10000] [--seed 1]

WORKSPACE is opened as the editor's root (the server builds its index meanwhile, in its
indexer process). The operations, drawn at random: open a source file of the workspace (eight
at most, the oldest closed), type a character or Enter with the automatic request an editor
sends (cancelled by the next key), delete a range, ask explicitly and wait for the answer,
rest the cursor (didFocus), save, and the hostile ones: an odd URI (no path, a NUL byte, a
name no disk takes), a position past the end of the file, a method the server does not offer.

Reported: operations, requests answered, the slowest explicit answers, answers over 15 s,
whether the server died, and its resident memory at each tenth of the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types

from codegen_complete.measure.editor.lspclient import EditorSession
from codegen_complete.measure.speed.bench_engines import memory_mb
from codegen_complete.models.catalog import DEFAULT_MODEL

OPEN_FILES = 8
SLOW_S = 15.0
KEY_S = 0.03  # between operations: faster than a person, to press the server
ODD_URIS = ("file://", "file:///tmp/a%00b.py", "file:///" + "x" * 5000 + ".py")
SUFFIXES = (".py", ".js", ".ts")


def _nothing() -> None:
    return None


class Soak:
    def __init__(self, session: EditorSession, files: list[Path], rng: random.Random) -> None:
        self.session = session
        self.files = files
        self.rng = rng
        self.open: list[str] = []
        self.pending: asyncio.Future[str] | None = None
        self.cancel_pending: Callable[[], None] = _nothing
        self.latencies: list[float] = []
        self.answered = 0
        self.errors = 0

    async def step(self) -> None:
        kind = self.rng.choices(
            ["open", "type", "delete", "ask", "focus", "save", "odd", "past", "unknown"],
            weights=[3, 60, 8, 6, 8, 2, 1, 1, 1],
        )[0]
        if kind == "open" or not self.open:
            self._open()
        elif kind == "type":
            self._type()
        elif kind == "delete":
            self._delete()
        elif kind == "ask":
            await self._ask()
        elif kind == "focus":
            uri = self.rng.choice(self.open)
            self.session.focus(uri, self.rng.randrange(len(self.session.texts[uri]) + 1))
        elif kind == "save":
            uri = self.rng.choice(self.open)
            self.session.client.text_document_did_save(
                types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=uri))
            )
        else:
            await self._hostile(kind)

    def _open(self) -> None:
        path = self.rng.choice(self.files)
        uri = path.as_uri()
        if uri in self.session.texts:
            return
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return
        self.session.open(path, text)
        self.open.append(uri)
        if len(self.open) > OPEN_FILES:
            self.session.close(self.open.pop(0))

    def _type(self) -> None:
        uri = self.rng.choice(self.open[-2:])  # typing stays mostly in the last files
        text = self.session.texts[uri]
        offset = self.rng.randrange(len(text) + 1)
        key = self.rng.choice("abcdefghijklmnopqrstuvwxyz_ (.):\n")
        self.cancel_pending()
        self.session.replace(uri, offset, offset, key)
        answer, self.cancel_pending = self.session.ask(uri, offset + 1)
        answer.add_done_callback(self._count)

    def _count(self, answer: asyncio.Future[str]) -> None:
        self.answered += 1

    def _delete(self) -> None:
        uri = self.rng.choice(self.open)
        text = self.session.texts[uri]
        start = self.rng.randrange(len(text) + 1)
        self.session.replace(uri, start, min(len(text), start + self.rng.randrange(1, 200)), "")

    async def _ask(self) -> None:
        uri = self.rng.choice(self.open)
        task = self.session.request(uri, self.rng.randrange(len(self.session.texts[uri]) + 1), True)
        try:
            answer = await asyncio.wait_for(task, 60)
            self.latencies.append(answer.latency_s)
            self.answered += 1
        except Exception:  # an error answer is counted, not fatal
            self.errors += 1
            self.latencies.append(60.0)

    async def _hostile(self, kind: str) -> None:
        client = self.session.client
        where = types.Position(line=10**6, character=10**6)
        if kind == "odd":
            uri = self.rng.choice(ODD_URIS)
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    types.TextDocumentItem(uri=uri, language_id="python", version=1, text="x = ")
                )
            )
            where = types.Position(line=0, character=4)
        else:
            uri = self.rng.choice(self.open)
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=where,
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
        with contextlib.suppress(Exception):
            if kind == "unknown":
                hover = types.HoverParams(
                    types.TextDocumentIdentifier(uri=uri), types.Position(line=0, character=0)
                )
                await asyncio.wait_for(client.text_document_hover_async(hover), 30)
            else:
                await asyncio.wait_for(client.text_document_inline_completion_async(params), 30)


async def soak(args: argparse.Namespace) -> int:
    root = args.workspace.resolve()
    files = sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file())[:50_000]
    if not files:
        print(f"no source files under {root}", file=sys.stderr)
        return 2
    settings = {"model": args.model, "threads": args.threads}
    session = await EditorSession.start(root, settings)
    run = Soak(session, files, random.Random(args.seed))
    rss: list[float] = []
    anonymous: list[float] = []  # the process's own memory, without mapped files (the index)
    started = time.perf_counter()
    try:
        for number in range(args.operations):
            if number % max(1, args.operations // 10) == 0:
                rss.append(memory_mb("VmRSS", session.pid))
                anonymous.append(memory_mb("RssAnon", session.pid))
            if session.crashed:
                break
            await run.step()
            await asyncio.sleep(KEY_S)
        run.cancel_pending()
        await asyncio.sleep(2)
        rss.append(memory_mb("VmRSS", session.pid))
        anonymous.append(memory_mb("RssAnon", session.pid))
    finally:
        crashed = session.crashed
        with contextlib.suppress(Exception):
            await asyncio.wait_for(session.stop(), 30)
    latencies = sorted(run.latencies)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{args.threads} threads, workspace {root} ({len(files):,} source files)")  # fmt: skip
    print(f"operations {args.operations:,} in {time.perf_counter() - started:.0f} s; "
          f"answers {run.answered:,}; error answers {run.errors}; crashed: {crashed}")  # fmt: skip
    if latencies:
        print(f"explicit requests {len(latencies)}: p50 {statistics.median(latencies):.2f} s, "
              f"max {latencies[-1]:.2f} s, over {SLOW_S:.0f} s: "
              f"{sum(lat > SLOW_S for lat in latencies)}")  # fmt: skip
    print("RSS MB at each tenth: " + ", ".join(f"{value:.0f}" for value in rss))
    print("of it anonymous (not mapped files): " + ", ".join(f"{v:.0f}" for v in anonymous))
    return 1 if crashed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--operations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=2)
    return asyncio.run(soak(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
