"""Places: `FILE:LINE[:COL]` on the command line (1-based), LSP's UTF-16 positions, and the
file a `file://` URI names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from codegen_complete.context.workspace import resolved

_LOCATION = re.compile(r"^(?P<path>.+?):(?P<line>\d+)(?::(?P<column>\d+))?$")


class PositionError(ValueError):
    """The location is malformed or outside the file; str() is the message for the user."""


@dataclass(frozen=True)
class Location:
    path: Path
    line: int  # 1-based
    column: int | None  # 1-based, in characters; None means the end of the line


@dataclass(frozen=True)
class Cursor:
    offset: int  # characters from the start of the text
    line: int  # 1-based
    column: int  # 1-based


def parse_location(argument: str) -> Location:
    match = _LOCATION.match(argument)
    if match is None:
        raise PositionError(
            f"{argument!r} is not a location; write FILE:LINE or FILE:LINE:COL (1-based)"
        )
    line = int(match["line"])
    column = int(match["column"]) if match["column"] is not None else None
    if line < 1 or (column is not None and column < 1):
        raise PositionError(f"{argument!r}: lines and columns start at 1")
    return Location(Path(match["path"]), line, column)


def resolve_cursor(text: str, line: int, column: int | None, name: str = "the file") -> Cursor:
    """The cursor for a 1-based line and column; without a column, the end of the line.

    On a blank line the end of the line is after its indentation, where code would start.
    """
    lines = text.split("\n")
    if line > len(lines):
        # As an editor counts: a final newline ends the last line, it does not start one.
        count = len(lines) - 1 if text.endswith("\n") else len(lines)
        raise PositionError(f"line {line} is past the end of {name} ({count} lines)")
    content = lines[line - 1].removesuffix("\r")
    if column is None:
        column = len(content) + 1
    elif column > len(content) + 1:
        raise PositionError(
            f"column {column} is past the end of line {line} of {name} "
            f"({len(content)} characters; the last column is {len(content) + 1})"
        )
    offset = sum(len(previous) + 1 for previous in lines[: line - 1]) + column - 1
    return Cursor(offset=offset, line=line, column=column)


def utf16_to_offset(text: str, line: int, character: int) -> int:
    """String offset of an LSP position (0-based line, UTF-16 code units).

    Past the end of a line clamps to its end and past the last line to the end of the text,
    as the LSP specification asks of servers.
    """
    if line < 0 or character < 0:
        raise PositionError(f"negative position {line}:{character}")
    start = 0
    for _ in range(line):
        newline = text.find("\n", start)
        if newline == -1:
            return len(text)
        start = newline + 1
    end = text.find("\n", start)
    end = len(text) if end == -1 else end
    units = 0
    offset = start
    while offset < end and units < character:
        units += 2 if ord(text[offset]) > 0xFFFF else 1
        offset += 1
    return offset


def position_in_text(text: str, line: int, character: int) -> bool:
    """Whether an LSP position lies inside `text` (at most at the end of its line). A request
    for a position past the end (a client's stale state, e.g. another buffer's cursor) gets
    no suggestion: one at a clamped position would be shown where nobody asked."""
    if line < 0 or character < 0 or line > text.count("\n"):
        return False
    offset = utf16_to_offset(text, line, character)
    return offset_to_utf16(text, offset) == (line, character)


def offset_to_utf16(text: str, offset: int) -> tuple[int, int]:
    """The LSP position (line, UTF-16 character) of a string offset."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return line, sum(2 if ord(c) > 0xFFFF else 1 for c in text[start:offset])


def path_of(uri: str) -> Path | None:
    """The file a `file://` URI names; None for other schemes (untitled buffers, ...) and
    for a name no file can have (no path, a NUL byte, a symlink loop): such a document is
    completed as an untitled buffer, and nothing else sees its name."""
    if not uri.startswith("file://"):
        return None
    path = Path(unquote(urlparse(uri).path))
    if not path.is_absolute() or resolved(path) is None:
        return None
    return path
