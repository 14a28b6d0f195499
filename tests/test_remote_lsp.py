"""The LSP server with the remote backend, driven by pytest-lsp, against a real HTTP server that
speaks OpenAI's `/v1/completions` (tests/openai_server.py): ghost text from it, one status when
it fails and one when it is back (never a popup per keystroke), the local fallback, and the
warning for code sent in the clear."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import threading
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
                "enabledLanguages": ["plaintext", "python", "dotenv"],
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
    # The first request (idle time may already prepare the next line with another): the
    # product's template, with the text around the cursor, ending at the cursor.
    request = openai_server.completions()[0]
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


def open_notes(client: LanguageClient) -> str:
    """Open a plain-text document that the tiny model writes after; its URI."""
    notes = "file:///tmp/codegen-complete-remote/notes.txt"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=notes, language_id="plaintext", version=1, text="some notes\nnext "
            )
        )
    )
    return notes


async def test_the_local_model_answers_while_the_server_is_down(
    fallback_client: LanguageClient,
) -> None:
    notes = open_notes(fallback_client)
    result = await fallback_client.text_document_inline_completion_async(inline(notes, 1, 5))
    assert isinstance(result, types.InlineCompletionList) and result.items  # the tiny model's
    state, message = fallback_client.statuses[-1]
    assert state == "ready" and "cannot connect" in message and "local model" in message


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def cleartext_client(lsp_client: LanguageClient, tiny_store: Path) -> Any:
    # Not a loopback address, so it is warned about; yet nothing leaves the machine for it
    # (Linux connects 0.0.0.0 locally), where a name would be looked up when the server is
    # asked for its models after the load.
    await start(lsp_client, tiny_store, state="error", remoteUrl="http://0.0.0.0:9")
    yield
    await lsp_client.shutdown_session()


async def test_plain_http_to_another_machine_is_warned_about(
    cleartext_client: LanguageClient,
) -> None:
    (warning,) = [m for m in cleartext_client.messages if m.type == types.MessageType.Warning]
    assert "unencrypted" in warning.message and "0.0.0.0" in warning.message


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def unset_url_client(lsp_client: LanguageClient, tiny_store: Path) -> Any:
    await start(lsp_client, tiny_store, state="error")  # no remoteUrl
    yield
    await lsp_client.shutdown_session()


async def test_remote_without_a_url_is_one_clear_error(unset_url_client: LanguageClient) -> None:
    (message,) = unset_url_client.messages
    assert "remoteUrl is not set" in message.message


async def test_the_status_says_ready_once_the_server_has_answered(
    client: LanguageClient, openai_server: OpenAIServer
) -> None:
    # After the load the server is asked for its models, before any keystroke.
    waiting = ("loading", f"waiting for the first answer from {openai_server.url}")
    ready = ("ready", f"qwen2.5-coder-0.5b at {openai_server.url}")
    assert waiting in client.statuses
    await wait_for_status(client.statuses, "ready")
    assert client.statuses.index(waiting) < client.statuses.index(ready)
    assert [r.path for r in openai_server.requests] == ["/v1/models"]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def closed_port_client(
    lsp_client: LanguageClient, openai_server: OpenAIServer, tiny_store: Path
) -> Any:
    openai_server.close()
    await start(lsp_client, tiny_store, state="error", remoteUrl=openai_server.url)
    yield
    await lsp_client.shutdown_session()


async def test_a_closed_port_is_an_error_before_the_first_keystroke(
    closed_port_client: LanguageClient,
) -> None:
    state, message = closed_port_client.statuses[-1]
    assert state == "error" and "cannot connect" in message
    assert not any(state == "ready" for state, _ in closed_port_client.statuses)


class HungServer:
    """Accepts connections and never answers (a server wedged behind a load balancer)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.held.append(self.socket.accept()[0])

    def close(self) -> None:
        for connection in [*self.held, self.socket]:
            connection.close()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def hung_client(lsp_client: LanguageClient, tiny_store: Path) -> Any:
    hung = HungServer()
    # Default remoteTimeout (10 s) and timeLimit (10 s): the case that answered nothing.
    await start(lsp_client, tiny_store, state="loading", remoteUrl=hung.url, remoteFallback=True)
    yield
    await lsp_client.shutdown_session()
    hung.close()


async def test_a_server_that_never_answers_is_an_error_and_the_local_model_answers(
    hung_client: LanguageClient,
) -> None:
    notes = open_notes(hung_client)
    await wait_for_status(hung_client.statuses, "ready")  # the check failed: the fallback
    message = hung_client.statuses[-1][1]
    assert "no answer within" in message and "local model" in message
    result = await hung_client.text_document_inline_completion_async(inline(notes, 1, 5))
    assert isinstance(result, types.InlineCompletionList) and result.items  # the tiny model's


SECRET = "file:///tmp/codegen-complete-remote/.env"


async def test_a_secret_buffer_is_never_sent_to_the_server(
    client: LanguageClient, openai_server: OpenAIServer
) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=SECRET, language_id="dotenv", version=1, text="API_KEY=sk-live-1234\nDB_"
            )
        )
    )
    result = await client.text_document_inline_completion_async(inline(SECRET, 1, 3))
    assert isinstance(result, types.InlineCompletionList) and not result.items
    assert openai_server.completions() == []
    assert not any("sk-live" in str(request.body) for request in openai_server.requests)
    logged = [m.message for m in client.log_messages if ".env" in m.message]
    assert any("not sent to the remote server: .env looks like a secret file" in m for m in logged)
