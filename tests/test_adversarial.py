"""A client that sends what no editor should: odd URIs, requests out of order, methods the
server does not offer. Each gets a clear answer, and nothing else it serves is harmed."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.test_robustness import SERVER, Responses, frame

METHOD_NOT_FOUND = -32601
INVALID_REQUEST = -32600
SERVER_NOT_INITIALIZED = -32002
# The tiny test model writes after this text (it has seen little else).
NOTES = "some notes about the plan\nnext "


class Client:
    """The server over stdio, spoken to in raw JSON-RPC messages."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self.process.stdout is not None
        self.responses = Responses(self.process.stdout)
        self.next_id = 100

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params or {}})

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)
        return self.responses.wait(self.next_id)

    def initialize(self, store: Path, root: Path | None = None) -> None:
        params: dict[str, Any] = {
            "capabilities": {},
            "initializationOptions": {
                "model": "tiny-qwen", "modelsDir": str(store), "debounceMs": 0,
                # Its documents are notes (plain text): prose gets suggestions where listed.
                "enabledLanguages": ["plaintext", "python"],
            },
        }  # fmt: skip
        if root is not None:
            params["rootUri"] = root.as_uri()
        assert "result" in self.request("initialize", params)
        self.notify("initialized")

    def open(self, uri: str, text: str = NOTES, language: str = "plaintext") -> None:
        document = {"uri": uri, "languageId": language, "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": document})

    def inline(self, uri: str, line: int, character: int) -> dict[str, Any]:
        return self.request(
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": uri},
                "position": {"line": line, "character": character},
                "context": {"triggerKind": 1},
            },
        )

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(frame(message))
        self.process.stdin.flush()

    def close(self) -> str:
        """Stop the server; its stderr."""
        self.process.kill()
        _, stderr = self.process.communicate(timeout=30)
        return stderr.decode(errors="replace")


@pytest.fixture()
def client() -> Any:
    started = Client()
    yield started
    started.close()


def served(answer: dict[str, Any]) -> bool:
    return "result" in answer and bool(answer["result"]["items"])


def test_odd_uris_leave_every_other_document_served(
    client: Client, tiny_store: Path, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "a.py").symlink_to(root / "b.py")  # a file symlink loop in the workspace
    (root / "b.py").symlink_to(root / "a.py")
    (root / "loop").symlink_to(root / "loop")
    client.initialize(tiny_store, root)
    good = (root / "notes.txt").as_uri()
    client.open(good)
    odd = [
        "file://",
        "file:///tmp/a%00b.py",
        (root / "a.py").as_uri(),
        (root / "loop" / "x.py").as_uri(),
        "file:///" + "x" * 5000 + ".py",
    ]
    for uri in odd:
        client.open(uri)
    for uri in odd:  # answered as untitled buffers, with no error
        assert "result" in client.inline(uri, 1, 5), uri
    assert served(client.inline(good, 1, 5))


def test_a_request_after_shutdown_is_refused(client: Client, tiny_store: Path) -> None:
    client.initialize(tiny_store)
    assert "result" in client.request("shutdown")
    answer = client.inline("file:///tmp/x.py", 0, 0)
    assert answer["error"]["code"] == INVALID_REQUEST


def test_a_shutdown_before_initialize_leaves_the_server_able_to_start(
    client: Client, tiny_store: Path
) -> None:
    answer = client.request("shutdown")
    assert answer["error"]["code"] == SERVER_NOT_INITIALIZED
    client.initialize(tiny_store)
    client.open("file:///tmp/late.txt")
    assert served(client.inline("file:///tmp/late.txt", 1, 5))


def test_methods_the_server_does_not_offer_are_method_not_found(
    client: Client, tiny_store: Path
) -> None:
    client.initialize(tiny_store)
    where = {"textDocument": {"uri": "file:///tmp/x.py"}, "position": {"line": 0, "character": 0}}
    for method in ("textDocument/hover", "textDocument/definition", "textDocument/references"):
        answer = client.request(method, where)
        assert answer["error"]["code"] == METHOD_NOT_FOUND, (method, answer)
    assert "Traceback" not in client.close()
