"""Reading the client's LSP messages from stdin, safe at the edges a real client can hit.

pygls's own loop drops a body that is not JSON without a word (the client waits for an
answer forever), believes any Content-Length (10**9 makes it wait for a gigabyte), and after a
wrong one reads the rest of the stream out of step. Here:
- a body that is not JSON gets the JSON-RPC parse error (-32700), and serving goes on;
- a message over MAX_MESSAGE_BYTES stops the server with a clear log line (its bytes cannot be
  skipped without reading them all);
- a body that stops coming for BODY_TIMEOUT_S is dropped with a parse error, so a
  Content-Length larger than the body does not leave the server waiting;
- bytes that are not headers where headers belong (after a Content-Length smaller than its
  body) are skipped up to the next `Content-Length:` header, with a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

MAX_MESSAGE_BYTES = 64 * 2**20
BODY_TIMEOUT_S = 10.0
READ_CHUNK = 1 << 16
MAX_HEADER_LINE = 1 << 16
PARSE_ERROR = -32700
CONTENT_LENGTH = re.compile(rb"Content-Length:[ \t]*(\d+)[ \t]*\r?\n$", re.IGNORECASE)
HEADER = re.compile(rb"[A-Za-z][A-Za-z0-9-]*:[^\r\n]*\r?\n")

log = logging.getLogger(__name__)


class MessageTooLargeError(Exception):
    pass


def frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def parse_error(detail: str) -> bytes:
    """The JSON-RPC answer to a message that could not be read (its id is unknowable)."""
    error = {"code": PARSE_ERROR, "message": f"Parse error: {detail}"}
    return frame({"jsonrpc": "2.0", "id": None, "error": error})


def _pump(stream: BinaryIO, reader: asyncio.StreamReader, loop: asyncio.AbstractEventLoop) -> None:
    """Feed `reader` from `stream` on a thread (pipes, files and terminals alike)."""
    descriptor = stream.fileno()
    while True:
        try:
            chunk = os.read(descriptor, READ_CHUNK)
        except OSError:
            chunk = b""
        if not chunk:
            loop.call_soon_threadsafe(reader.feed_eof)
            return
        loop.call_soon_threadsafe(reader.feed_data, chunk)


async def read_length(reader: asyncio.StreamReader) -> int | None:
    """The Content-Length of the next message, its headers read; None at the end of input."""
    length: int | None = None
    skipped = 0
    while True:
        try:
            line = await reader.readline()
        except ValueError:  # a line over MAX_HEADER_LINE: dropped by the reader
            skipped += MAX_HEADER_LINE
            continue
        if not line:
            return None
        if line.strip() == b"":
            if length is not None:
                return length
            continue  # blank lines between messages
        if match := CONTENT_LENGTH.search(line):
            if skipped or not HEADER.fullmatch(line):
                log.error(
                    "framing error: %d bytes that were not a message skipped before a header",
                    skipped + match.start(),
                )
                skipped = 0
            length = int(match.group(1))
        elif not HEADER.fullmatch(line):
            skipped += len(line)


async def read_body(reader: asyncio.StreamReader, length: int) -> bytes | None:
    """`length` bytes, or None at the end of input; TimeoutError when they stop coming."""
    body = bytearray()
    while len(body) < length:
        try:
            chunk = await asyncio.wait_for(reader.read(length - len(body)), BODY_TIMEOUT_S)
        except TimeoutError:
            raise TimeoutError(f"{len(body)} of {length} bytes came") from None
        if not chunk:
            return None
        body += chunk
    return bytes(body)


async def read_messages(
    stream: BinaryIO,
    stopped: Callable[[], bool],
    handle: Callable[[bytes], None],
    reply: Callable[[bytes], None],
) -> None:
    """Read framed messages from `stream` and pass each body to `handle` until the end of
    input or `stopped()`; `reply` writes a framed answer (the parse errors)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_HEADER_LINE)
    threading.Thread(target=_pump, args=(stream, reader, loop), daemon=True).start()
    while not stopped():
        length = await read_length(reader)
        if length is None:
            return
        if length > MAX_MESSAGE_BYTES:
            raise MessageTooLargeError(
                f"a message of {length:,} bytes is over the limit of {MAX_MESSAGE_BYTES:,}; "
                "the rest of the stream cannot be read in step, so the server stops"
            )
        try:
            body = await read_body(reader, length)
        except TimeoutError as error:
            log.error("incomplete message dropped: %s in %.0f s", error, BODY_TIMEOUT_S)
            reply(parse_error(f"incomplete message ({error})"))
            continue
        if body is None:
            return
        handle(body)
