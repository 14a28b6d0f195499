"""Start and stop edges through a real LSP client: a request that arrives while the model is
still loading waits for it (within the time limit) instead of answering empty, and a shutdown
that arrives while it loads is answered cleanly."""

from __future__ import annotations

import sys
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from tests.conftest import TINY

SERVER = [sys.executable, "-m", "codegen_complete.server.cli", "serve"]
URI = "file:///tmp/codegen-complete-test/notes.txt"


async def started(tiny_store: Path) -> LanguageClient:
    """A server told `initialized` a moment ago: its model is loading now."""
    client = LanguageClient("startstop", "1")
    await client.start_io(*SERVER)
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            initialization_options={
                "model": TINY,
                "modelsDir": str(tiny_store),
                "enabledLanguages": ["plaintext"],
            },
        )
    )
    client.initialized(types.InitializedParams())
    return client


async def test_a_request_during_the_load_waits_for_the_model(tiny_store: Path) -> None:
    client = await started(tiny_store)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(
                uri=URI, language_id="plaintext", version=1, text="some notes about the plan\nnext "
            )
        )
    )
    answer = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=1, character=5),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    assert isinstance(answer, types.InlineCompletionList) and answer.items
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]


async def test_a_shutdown_during_the_load_is_answered_cleanly(tiny_store: Path) -> None:
    for _ in range(3):
        client = await started(tiny_store)
        assert await client.shutdown_async(None) is None  # an error would raise here
        client.exit(None)
        await client.stop()  # type: ignore[no-untyped-call]
        server = client._server
        assert server is not None and server.returncode == 0
