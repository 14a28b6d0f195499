"""The LSP server over stdio, driven by pytest-lsp with Neovim and VS Code capabilities."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from codegen_complete.server.languageserver import STATUS

SERVER = [sys.executable, "-m", "codegen_complete.server.cli", "serve"]
NOTES = "file:///tmp/codegen-complete-test/notes.txt"
CODE = "file:///tmp/codegen-complete-test/code.py"


@pytest_lsp.fixture(
    params=["neovim", "visual-studio-code"], config=ClientServerConfig(server_command=SERVER)
)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient) -> Any:
    tiny_store: Path = request.getfixturevalue("tiny_store")
    lsp_client.statuses = record_statuses(lsp_client)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(request.param),
            initialization_options={
                "model": "tiny-qwen",
                "modelsDir": str(tiny_store),
                "debounceMs": 0,
                "colour": "blue",
                # The notes are plain text: prose gets suggestions only where listed.
                "enabledLanguages": ["plaintext", "python"],
            },
        )
    )
    lsp_client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=NOTES,
                language_id="plaintext",
                version=1,
                text="some notes about the plan\nnext ",
            )
        )
    )
    lsp_client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=CODE, language_id="python", version=1, text="x = 1  # a note \n"
            )
        )
    )
    # The model loads after `initialized`: wait for the status that says it is ready.
    await wait_for_status(lsp_client.statuses, "ready")
    yield
    await lsp_client.shutdown_session()


def record_statuses(client: LanguageClient) -> list[tuple[str, str]]:
    """Collect the server's codegenComplete/status notifications as (state, message)."""
    statuses: list[tuple[str, str]] = []

    @client.feature(STATUS)
    def on_status(params: Any) -> None:
        statuses.append((params.state, params.message))

    return statuses


async def wait_for_status(statuses: list[tuple[str, str]], state: str) -> None:
    async with asyncio.timeout(60):
        while not any(seen == state for seen, _ in statuses):
            await asyncio.sleep(0.02)


def inline(
    uri: str, line: int, character: int, invoked: bool = True
) -> types.InlineCompletionParams:
    kind = (
        types.InlineCompletionTriggerKind.Invoked
        if invoked
        else types.InlineCompletionTriggerKind.Automatic
    )
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=kind),
    )


async def test_inline_completion_at_the_cursor(client: LanguageClient) -> None:
    result = await client.text_document_inline_completion_async(inline(NOTES, 1, 5))
    assert isinstance(result, types.InlineCompletionList)
    (item,) = result.items
    assert item.insert_text
    cursor = types.Position(line=1, character=5)
    assert item.range == types.Range(start=cursor, end=cursor)


async def test_completion_fallback_carries_the_suggestion(client: LanguageClient) -> None:
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=NOTES),
            position=types.Position(line=1, character=5),
            context=types.CompletionContext(trigger_kind=types.CompletionTriggerKind.Invoked),
        )
    )
    assert isinstance(result, types.CompletionList)
    (item,) = result.items
    assert isinstance(item.text_edit, types.TextEdit) and item.text_edit.new_text


async def test_quiet_inside_a_comment_while_typing(client: LanguageClient) -> None:
    result = await client.text_document_inline_completion_async(inline(CODE, 0, 15, False))
    assert isinstance(result, types.InlineCompletionList) and not result.items


async def test_bad_requests_get_empty_answers(client: LanguageClient) -> None:
    for params in (inline("file:///tmp/never-opened.py", 0, 0), inline(NOTES, 999, 999)):
        result = await client.text_document_inline_completion_async(params)
        assert isinstance(result, types.InlineCompletionList)
    # Still serving after them.
    result = await client.text_document_inline_completion_async(inline(NOTES, 1, 5))
    assert isinstance(result, types.InlineCompletionList) and result.items


LONG = "file:///tmp/codegen-complete-test/long.py"
LONG_TEXT = "".join(f"value_{i} = compute({i}, {i * 3})\n" for i in range(120))


async def _logged(client: LanguageClient, needle: str) -> str:
    async with asyncio.timeout(30):
        while True:
            for message in client.log_messages:
                if needle in message.message:
                    return message.message
            await asyncio.sleep(0.02)


async def test_the_place_the_user_moves_to_is_warmed_before_the_first_key(
    client: LanguageClient,
) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=LONG, language_id="python", version=1, text=LONG_TEXT
            )
        )
    )
    # A jump with no warming: the first answer is made from the small prompt.
    await client.text_document_inline_completion_async(inline(LONG, 30, 0))
    assert "small prefill" in await _logged(client, "long.py:31:1 invoked")
    # The editor says where the cursor went; the server warms that place's full prompt.
    client.protocol.notify(
        "codegenComplete/didFocus",
        {"textDocument": {"uri": LONG}, "position": {"line": 90, "character": 0}},
    )
    await _logged(client, "long.py:91:1: focus, warming the prompt at the end of its line")
    await asyncio.sleep(1.0)  # the tiny model warms a few hundred tokens in milliseconds
    # The user appends to the line (`A`): the prompt there was warmed.
    end = len(LONG_TEXT.split("\n")[90])
    await client.text_document_inline_completion_async(inline(LONG, 90, end))
    answered = await _logged(client, f"long.py:91:{end + 1} invoked")
    assert "small prefill" not in answered
    prompt, reused = map(int, re.search(r"prompt (\d+) tokens \((\d+) reused", answered).groups())
    assert prompt > 256 and reused >= prompt - 8


async def test_a_focus_without_a_position_is_logged_not_fatal(client: LanguageClient) -> None:
    client.protocol.notify("codegenComplete/didFocus", {"textDocument": {"uri": NOTES}})
    await _logged(client, "didFocus needs textDocument.uri and position")
    result = await client.text_document_inline_completion_async(inline(NOTES, 1, 5))
    assert isinstance(result, types.InlineCompletionList) and result.items


async def test_status_reports_loading_then_ready(client: LanguageClient) -> None:
    assert client.statuses == [
        ("loading", "loading tiny-qwen"),
        ("ready", "tiny-qwen"),
    ]


async def test_settings_problems_respect_the_user(client: LanguageClient) -> None:
    """A key that is not ours goes to the log once, not to a popup (other tools' settings come
    at the top level); a bad value pops up once, however often it is sent; one popup per
    change at most."""
    assert not any("colour" in m.message for m in client.messages)
    assert sum("colour" in m.message for m in client.log_messages) == 1
    for _ in range(3):
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={
                    "debounceMs": "fast",
                    "maxLines": 0,
                    "python": {"analysis": {}},
                    "editor": {"tabSize": 4},
                    **{f"key{i}": i for i in range(200)},
                }
            )
        )
    result = await client.text_document_inline_completion_async(inline(NOTES, 1, 5))
    assert isinstance(result, types.InlineCompletionList)  # served meanwhile
    popups = [m.message for m in client.messages if "debounceMs" in m.message]
    assert len(popups) == 1 and "maxLines" in popups[0]
    assert len(client.messages) <= 2
    assert sum("'key7'" in m.message for m in client.log_messages) == 1


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client_without_model(lsp_client: LanguageClient, tmp_path: Path) -> Any:
    lsp_client.statuses = record_statuses(lsp_client)
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim"),
            initialization_options={"modelsDir": str(tmp_path / "empty")},
        )
    )
    await lsp_client.wait_for_notification(types.WINDOW_SHOW_MESSAGE)
    yield
    await lsp_client.shutdown_session()


async def test_a_missing_model_is_one_clear_message(client_without_model: LanguageClient) -> None:
    (message,) = [m for m in client_without_model.messages if m.type == types.MessageType.Error]
    assert "codegen-complete model install" in message.message
    await wait_for_status(client_without_model.statuses, "error")
    assert client_without_model.statuses[-1] == ("error", message.message.split(": ", 1)[1])
    result = await client_without_model.text_document_inline_completion_async(inline(NOTES, 0, 0))
    assert isinstance(result, types.InlineCompletionList) and not result.items
