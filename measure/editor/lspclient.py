"""A scripted editor for the measurements: `codegen-complete serve` over stdio, driven the way
VS Code and Neovim drive it (incremental changes, inline-completion requests not awaited
before the next key), with the server's log lines kept."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from codegen_complete.context.index.repo import INDEX_ENV
from codegen_complete.measure.speed.bench_engines import memory_mb

SERVER = [sys.executable, "-m", "codegen_complete.server.cli", "serve"]
LANGUAGE_IDS = {".py": "python", ".js": "javascript", ".ts": "typescript", ".mjs": "javascript"}


@dataclass
class Received:
    text: str  # the suggestion, "" when there was none
    latency_s: float  # from sending the request to the answer's arrival


@dataclass
class EditorSession:
    """One server process, its documents as the editor sees them, and what it logged."""

    client: LanguageClient
    root: Path
    texts: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    _asked: int = 0

    @classmethod
    async def start(
        cls,
        root: Path,
        settings: dict[str, Any] | None = None,
        pythonpath: str | None = None,
        index: bool = False,
        more_roots: tuple[Path, ...] = (),
        index_dir: Path | None = None,
    ) -> EditorSession:
        """Start the server with `root` as the workspace (and `more_roots` as more workspace
        folders) and wait until its model is ready (and with `index`, the index of `root`).
        `pythonpath` runs another checkout's server (a before/after comparison); `index_dir`
        keeps the server's indexes there rather than in the usual place."""
        client = LanguageClient("codegen-complete-measure", "1")
        env = dict(os.environ)
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        if index_dir is not None:
            env[INDEX_ENV] = str(index_dir)
        await client.start_io(*SERVER, env=env)
        session = cls(client, root)
        ready, indexed = asyncio.Event(), asyncio.Event()
        client.feature("codegenComplete/status")(
            lambda params: ready.set() if params.state == "ready" else None
        )

        def logged(params: types.LogMessageParams) -> None:
            session.log.append(params.message)
            if "index of " in params.message:
                indexed.set()

        client.feature(types.WINDOW_LOG_MESSAGE)(logged)
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=root.as_uri(),
                workspace_folders=[
                    types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)
                    for folder in (root, *more_roots)
                ],
                initialization_options={"debounceMs": 0, **(settings or {})},
            )
        )
        client.initialized(types.InitializedParams())
        await asyncio.wait_for(ready.wait(), 300)
        if index:
            await asyncio.wait_for(indexed.wait(), 300)
        return session

    @property
    def pid(self) -> int:
        server = self.client._server
        return int(server.pid) if server is not None else 0

    @property
    def crashed(self) -> bool:
        server = self.client._server
        return server is not None and server.returncode is not None

    def peak_rss_mb(self) -> float:
        return memory_mb("VmHWM", self.pid)

    def pause(self) -> None:
        """Stop the server process (SIGSTOP) while another is measured: its idle work would
        otherwise run on the same cores and slow the other one's answers."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, number: signal.Signals) -> None:
        # pid 0 (no process) would signal this whole process group, the benchmark included.
        if self.pid > 0 and not self.crashed:
            with contextlib.suppress(ProcessLookupError):  # it has just exited
                os.kill(self.pid, number)

    def cpu_s(self) -> float:
        """The server's CPU time so far (user and system, all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def open(self, path: Path, text: str) -> str:
        uri = path.as_uri()
        self.texts[uri], self.versions[uri] = text, 1
        language = LANGUAGE_IDS.get(path.suffix, "plaintext")
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
            )
        )
        return uri

    def close(self, uri: str) -> None:
        del self.texts[uri], self.versions[uri]
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri))
        )

    def replace(self, uri: str, start: int, end: int, new_text: str) -> None:
        """Replace text[start:end] (string offsets)."""
        text = self.texts[uri]
        first, last = _position(text, start), _position(text, end)
        self.texts[uri] = text[:start] + new_text + text[end:]
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=first, end=last), text=new_text
                    )
                ],
            )
        )

    def request(self, uri: str, offset: int, invoked: bool) -> asyncio.Task[Received]:
        """Ask for the inline completion at `offset`; the task ends when the answer arrives."""
        kind = types.InlineCompletionTriggerKind
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=_position(self.texts[uri], offset),
            context=types.InlineCompletionContext(
                trigger_kind=kind.Invoked if invoked else kind.Automatic
            ),
        )
        sent = time.perf_counter()

        async def answer() -> Received:
            result = await self.client.text_document_inline_completion_async(params)
            latency = time.perf_counter() - sent
            items = result.items if isinstance(result, types.InlineCompletionList) else result
            text = items[0].insert_text if items else ""
            return Received(text if isinstance(text, str) else text.value, latency)

        return asyncio.ensure_future(answer())

    def focus(self, uri: str, offset: int) -> None:
        """codegenComplete/didFocus: the cursor rests at `offset`, as the editors send it."""
        position = _position(self.texts[uri], offset)
        self.client.protocol.notify(
            "codegenComplete/didFocus",
            {
                "textDocument": {"uri": uri},
                "position": {"line": position.line, "character": position.character},
            },
        )

    def ask(self, uri: str, offset: int) -> tuple[asyncio.Future[str], Callable[[], None]]:
        """An automatic inline-completion request at `offset`, as an editor sends it per key:
        the future of its text ("" for none), and what cancels it (`$/cancelRequest`, as the
        editor sends when the next key comes)."""
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=_position(self.texts[uri], offset),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
        self._asked += 1
        msg_id = f"ask-{self._asked}"
        sent = self.client.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
        )
        answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def arrived(result: asyncio.Future[Any]) -> None:
            if answer.done():
                return
            if result.cancelled() or result.exception() is not None:
                answer.set_result("")  # cancelled: an editor shows nothing for it
                return
            items = result.result()
            items = items.items if isinstance(items, types.InlineCompletionList) else items
            text = items[0].insert_text if items else ""
            answer.set_result(text if isinstance(text, str) else text.value)

        asyncio.ensure_future(sent).add_done_callback(arrived)

        def cancel() -> None:
            if not answer.done():
                self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))

        return answer, cancel

    async def stop(self) -> None:
        if not self.crashed:
            await self.client.shutdown_async(None)
            self.client.exit(None)
        await self.client.stop()  # type: ignore[no-untyped-call]


def _position(text: str, offset: int) -> types.Position:
    """The LSP position (UTF-16 code units) of a string offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text[line_start:offset])
    return types.Position(line=text.count("\n", 0, offset), character=units)
