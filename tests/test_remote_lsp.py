"""The LSP server with the remote backend, driven by pytest-lsp, against a real HTTP server that
speaks OpenAI's `/v1/completions` (tests/openai_server.py): ghost text from it, one status when
it fails and one when it is back (never a popup per keystroke), the local fallback, and the
warning for code sent in the clear."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.openai_server import Behaviour, OpenAIServer
from tests.test_lsp import inline, record_statuses, wait_for_status

SERVER = [sys.executable, "-m", "codegen_complete.server.cli", "serve"]
CODE = "file:///tmp/codegen-complete-remote/add.py"
TEXT = "def add(a, b):\n    return \n"


@pytest.fixture()
def openai_server() -> Iterator[OpenAIServer]:
    server = OpenAIServer()
    yield server
    server.close()


async def start(
    client: LanguageClient, tiny_store: Path, state: str = "ready", **settings: Any
) -> None:
    """Initialize with the remote backend and `settings`, open a Python file, and wait for
    the status `state`."""
    client.statuses = record_statuses(client)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={
                "model": "tiny-qwen",
                "modelsDir": str(tiny_store),
                "debounceMs": 0,
                "context": False,
                "backend": "remote",
                **settings,
            },
        )
    )
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=CODE, language_id="python", version=1, text=TEXT
            )
        )
    )
    await wait_for_status(client.statuses, state)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, openai_server: OpenAIServer, tiny_store: Path) -> Any:
    await start(lsp_client, tiny_store, remoteUrl=openai_server.url, remoteTimeout=2)
    yield
    await lsp_client.shutdown_session()


async def suggestion(client: LanguageClient) -> str | None:
    result = await client.text_document_inline_completion_async(inline(CODE, 1, 11))
    assert isinstance(result, types.InlineCompletionList)
    return result.items[0].insert_text if result.items else None  # type: ignore[return-value]


async def test_ghost_text_comes_from_the_server(
    client: LanguageClient, openai_server: OpenAIServer
) -> None:
    assert await suggestion(client) == "a + b"
    (request,) = openai_server.completions()
    # The product's template, with the text around the cursor, ending at the cursor.
    assert request.body is not None
    assert request.body["prompt"].endswith("<|fim_middle|>def add(a, b):\n    return")
    # The status names the model once the server has said which it serves.
    assert client.statuses[-1] == ("ready", f"qwen2.5-coder-0.5b at {openai_server.url}")


async def test_a_failing_server_is_one_status_not_a_popup_per_keystroke(
    client: LanguageClient, openai_server: OpenAIServer
) -> None:
    openai_server.behaviour = Behaviour(status=503, body=b'{"error": {"message": "overloaded"}}')
    for _ in range(5):
        assert await suggestion(client) is None
    assert len(openai_server.completions()) == 1  # the rest waited out the back-off
    errors = [status for status in client.statuses if status[0] == "error"]
    assert len(errors) == 1 and "HTTP 503: overloaded" in errors[0][1]
    assert not client.messages  # no popups
    openai_server.behaviour = Behaviour()
    await asyncio.sleep(1.1)
    assert await suggestion(client) == "a + b"
    assert client.statuses[-1][0] == "ready"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def fallback_client(
    lsp_client: LanguageClient, openai_server: OpenAIServer, tiny_store: Path
) -> Any:
    openai_server.close()  # nothing listens there any more
    await start(lsp_client, tiny_store, remoteUrl=openai_server.url, remoteFallback=True)
    yield
    await lsp_client.shutdown_session()


async def test_the_local_model_answers_while_the_server_is_down(
    fallback_client: LanguageClient,
) -> None:
    notes = "file:///tmp/codegen-complete-remote/notes.txt"
    fallback_client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=notes, language_id="plaintext", version=1, text="some notes\nnext "
            )
        )
    )
    result = await fallback_client.text_document_inline_completion_async(inline(notes, 1, 5))
    assert isinstance(result, types.InlineCompletionList) and result.items  # the tiny model's
    state, message = fallback_client.statuses[-1]
    assert state == "ready" and "cannot connect" in message and "local model" in message


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def cleartext_client(lsp_client: LanguageClient, tiny_store: Path) -> Any:
    # Nothing is sent there: the test asks for no completion.
    await start(lsp_client, tiny_store, remoteUrl="http://gpu-box.example:8000")
    yield
    await lsp_client.shutdown_session()


async def test_plain_http_to_another_machine_is_warned_about(
    cleartext_client: LanguageClient,
) -> None:
    (warning,) = [m for m in cleartext_client.messages if m.type == types.MessageType.Warning]
    assert "unencrypted" in warning.message and "gpu-box.example" in warning.message


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def unset_url_client(lsp_client: LanguageClient, tiny_store: Path) -> Any:
    await start(lsp_client, tiny_store, state="error")  # no remoteUrl
    yield
    await lsp_client.shutdown_session()


async def test_remote_without_a_url_is_one_clear_error(unset_url_client: LanguageClient) -> None:
    (message,) = unset_url_client.messages
    assert "remoteUrl is not set" in message.message
