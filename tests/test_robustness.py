"""The server never crashes on bad input: malformed messages over stdio, out-of-range and
oversized requests, random edit sequences."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from codegen_complete.server import lsp
from codegen_complete.server.requests import Snapshot
from codegen_complete.server.service import CompletionService
from codegen_complete.server.settings import Settings

SERVER = [sys.executable, "-m", "codegen_complete.server.cli", "serve"]


def frame(message: dict[str, Any] | bytes) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Responses:
    """Reads the server's framed messages on a thread; `wait(id)` returns one response."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.seen: dict[int | None, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []  # and requests from the server
        self.arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            length = 0
            while (line := self.stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not length:
                return
            message = json.loads(self.stream.read(length))
            if "id" in message and ("result" in message or "error" in message):
                with self.arrived:
                    self.seen[message["id"]] = message
                    self.arrived.notify_all()
            else:
                self.notifications.append(message)

    def wait(self, request_id: int | None, timeout: float = 60.0) -> dict[str, Any]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: request_id in self.seen, timeout):
                raise AssertionError(f"no response to request {request_id} in {timeout} s")
            return self.seen[request_id]


def test_malformed_messages_do_not_stop_the_server(tiny_store: Path) -> None:
    process = subprocess.Popen(
        SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None
    responses = Responses(process.stdout)
    uri = "file:///tmp/robust/notes.txt"
    huge = "x = 1\n" * 200_000  # 1.2 MB
    messages: list[dict[str, Any] | bytes] = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "capabilities": {},
                "initializationOptions": {
                    "model": "tiny-qwen",
                    "modelsDir": str(tiny_store),
                    "debounceMs": 0,
                    "enabledLanguages": ["plaintext", "python"],
                },
            },
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        b"{this is not json",
        {"jsonrpc": "2.0", "id": 2, "method": "no/suchMethod", "params": {}},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "textDocument/inlineCompletion",
            "params": {"textDocument": "wrong type", "position": None},
        },
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {
                    "uri": uri,
                    "languageId": "plaintext",
                    "version": 1,
                    "text": huge + "next ",
                }
            },
        },
        {
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": 10**6, "character": 5},
                            "end": {"line": 10**7, "character": 0},
                        },
                        "text": "tail ",
                    }
                ],
            },
        },
        {
            "jsonrpc": "2.0",
            "id": 4,
            "method": "textDocument/inlineCompletion",
            "params": {
                "textDocument": {"uri": uri},
                "position": {"line": 10**6, "character": 10**6},
                "context": {"triggerKind": 1},
            },
        },
    ]
    try:
        for message in messages:
            process.stdin.write(frame(message))
        process.stdin.flush()
        assert "error" in responses.wait(2)
        assert "error" in responses.wait(3)
        assert "result" in responses.wait(4)
        process.stdin.write(frame({"jsonrpc": "2.0", "id": 5, "method": "shutdown"}))
        process.stdin.write(frame({"jsonrpc": "2.0", "method": "exit"}))
        process.stdin.flush()
        assert "result" in responses.wait(5)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()


INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}


def started_server() -> tuple[subprocess.Popen[bytes], Responses]:
    process = subprocess.Popen(
        SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    return process, Responses(process.stdout)


def send(process: subprocess.Popen[bytes], data: bytes) -> None:
    assert process.stdin is not None
    process.stdin.write(data)
    process.stdin.flush()


def test_a_body_that_is_not_json_gets_the_parse_error() -> None:
    process, responses = started_server()
    try:
        send(process, frame(INITIALIZE) + frame(b"{this is not json") + frame(b"\xff\xfe"))
        assert "result" in responses.wait(1)
        error = responses.wait(None)["error"]
        assert error["code"] == -32700 and "Parse error" in error["message"]
        send(process, frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}))
        assert "result" in responses.wait(2)  # and it goes on serving
    finally:
        process.kill()


def test_a_wrong_content_length_does_not_derail_the_server() -> None:
    """Too small: the rest of the body is skipped up to the next header. Too large: the body
    that never completes is dropped with a parse error instead of waiting forever."""

    def probe(request_id: int) -> bytes:
        return frame({"jsonrpc": "2.0", "id": request_id, "method": "no/suchMethod"})

    process, responses = started_server()
    try:
        body = json.dumps(INITIALIZE).encode()
        send(process, b"Content-Length: %d\r\n\r\n" % (len(body) - 5) + body + probe(2))
        assert "error" in responses.wait(2)  # answered: back in step
        assert responses.seen.pop(None)["error"]["code"] == -32700  # the cut body
        body = probe(3).partition(b"\r\n\r\n")[2]
        send(process, b"Content-Length: %d\r\n\r\n" % (len(body) + 100) + body)
        assert responses.wait(None, timeout=30)["error"]["code"] == -32700
        send(process, probe(4))
        assert "error" in responses.wait(4)
    finally:
        process.kill()


def test_a_message_over_the_size_limit_stops_the_server_with_a_clear_message() -> None:
    process, _ = started_server()
    try:
        send(process, b"Content-Length: 1000000000\r\n\r\n{")
        assert process.wait(timeout=30) != 0
        assert process.stderr is not None
        assert b"over the limit" in process.stderr.read()
    finally:
        process.kill()


EDITS = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.integers(0, 90),
        st.integers(0, 3),
        st.integers(0, 90),
        st.sampled_from(["", "x", "\n", "é", "😀", "(", "  ", "def f():\n    "]),
    ),
    max_size=30,
)


def test_notifications_leave_nothing_behind() -> None:
    """pygls 2.1 keeps the future of every notification it handles (one per keystroke, for
    good); the server's Protocol drops each once it is done."""
    protocol = lsp.server.protocol
    protocol._handle_request(
        1, types.INITIALIZE, types.InitializeParams(capabilities=types.ClientCapabilities())
    )
    uri = "file:///tmp/robust/typed.py"
    protocol._handle_notification(
        types.TEXT_DOCUMENT_DID_OPEN,
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text="")
        ),
    )
    for column in range(50):
        at = types.Position(0, column)
        protocol._handle_notification(
            types.TEXT_DOCUMENT_DID_CHANGE,
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=column + 2),
                [types.TextDocumentContentChangePartial(types.Range(at, at), "x")],
            ),
        )
    assert lsp.server.service.documents[uri].text == "x" * 50
    protocol._handle_notification(
        types.TEXT_DOCUMENT_DID_CLOSE,
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)),
    )
    assert protocol._request_futures == {}


@pytest.fixture(scope="module")
def service(tiny_store: Path) -> Any:
    service = CompletionService(Settings(model="tiny-qwen", models_dir=str(tiny_store)))
    service.load()
    yield service
    service.shutdown()


@given(edits=EDITS, line=st.integers(-1, 50), character=st.integers(-1, 200))
@settings(max_examples=60, deadline=None)
def test_random_edits_and_positions(
    service: CompletionService, edits: list[Any], line: int, character: int
) -> None:
    uri = "file:///tmp/robust/code.py"
    service.open(uri, "def f(x):\n    return x\n", "python")
    for l1, c1, dl, c2, text in edits:
        service.change(uri, [((l1, c1, l1 + dl, c2), text)])
    document = service.documents[uri]
    assert document.tree is not None
    assert document.tree.root_node.end_byte == len(document.text.encode())
    try:
        snapshot = service.snapshot(uri, line, character, explicit=True)
    except ValueError:
        assert line < 0 or character < 0  # negative positions are refused, clearly
        return
    if isinstance(snapshot, Snapshot):
        service.submit(snapshot).result(timeout=30)
