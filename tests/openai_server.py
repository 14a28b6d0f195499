"""A small OpenAI-compatible HTTP server for the remote backend's unit tests: real HTTP on
127.0.0.1 (chunked server-sent events, keep-alive), with the failures a real deployment shows
on demand. It records every request, and whether a stream was abandoned by the client (the
write after the client closed fails), which is how vLLM notices and aborts a request.

The real vLLM is exercised by tests/test_vllm.py; this one makes each failure reproducible.
"""

from __future__ import annotations

import json
import ssl
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Behaviour:
    pieces: list[str] = field(default_factory=lambda: ["a", " +", " b", "\n"])
    first_delay_s: float = 0.0  # before the first piece (the server reading the prompt)
    delay_s: float = 0.0  # between pieces
    models: list[str] = field(default_factory=lambda: ["qwen2.5-coder-0.5b"])
    status: int | None = None  # answer this status with `body` instead of streaming
    body: bytes = b'{"error": {"message": "boom"}}'
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None  # close the connection after this many pieces, no [DONE]
    required_key: str | None = None  # answer 401 unless "Authorization: Bearer <key>"


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (the backend closing a stream) is not a server error."""
        error = sys.exc_info()[1]
        if not isinstance(error, ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


class OpenAIServer:
    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        """`tls`: (certificate, key) files to serve https:// with."""
        self.behaviour = Behaviour()
        self.requests: list[Recorded] = []
        self.abandoned = threading.Event()  # a client closed a stream before its end
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server._record(self, None)
                if not server._authorised(self):
                    return
                models = {"data": [{"id": m, "object": "model"} for m in server.behaviour.models]}
                self._send(200, json.dumps(models).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                server._record(self, body)
                if not server._authorised(self):
                    return
                behaviour = server.behaviour
                if behaviour.status is not None:
                    self._send(behaviour.status, behaviour.body, behaviour.headers)
                    return
                if body.get("model") not in behaviour.models:
                    message = f"The model `{body.get('model')}` does not exist."
                    self._send(404, json.dumps({"error": {"message": message}}).encode())
                    return
                self._stream(body)

            def _send(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _event(self, payload: dict[str, Any] | str) -> None:
                data = payload if isinstance(payload, str) else json.dumps(payload)
                self._chunk(f"data: {data}\n\n".encode())

            def _stream(self, body: dict[str, Any]) -> None:
                behaviour = server.behaviour
                pieces = behaviour.pieces[: body.get("max_tokens", 16)]
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    time.sleep(behaviour.first_delay_s)
                    for index, piece in enumerate(pieces):
                        if behaviour.cut_after is not None and index == behaviour.cut_after:
                            self.close_connection = True
                            return
                        self._event({"choices": [{"index": 0, "text": piece}]})
                        time.sleep(behaviour.delay_s)
                    finish = "length" if len(pieces) == body.get("max_tokens") else "stop"
                    self._event({"choices": [{"index": 0, "text": "", "finish_reason": finish}]})
                    usage = {"prompt_tokens": 7, "completion_tokens": len(pieces)}
                    self._event({"choices": [], "usage": usage})
                    self._event("[DONE]")
                    self._chunk(b"")
                except (BrokenPipeError, ConnectionResetError):
                    server.abandoned.set()
                    self.close_connection = True

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _record(self, handler: BaseHTTPRequestHandler, body: dict[str, Any] | None) -> None:
        self.requests.append(Recorded(handler.path, dict(handler.headers), body))

    def _authorised(self, handler: BaseHTTPRequestHandler) -> bool:
        key = self.behaviour.required_key
        if key is None or handler.headers.get("Authorization") == f"Bearer {key}":
            return True
        body = b'{"error": {"message": "Unauthorized"}}'
        handler.send_response(401)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        return False

    def completions(self) -> list[Recorded]:
        return [r for r in self.requests if r.path == "/v1/completions"]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
