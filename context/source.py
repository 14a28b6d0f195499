"""Read a source file as text, refusing what is not a source file with a clear reason."""

from __future__ import annotations

import stat
from pathlib import Path

# Larger files are almost surely generated or data; reading them would stall completion.
MAX_SOURCE_BYTES = 8 * 1024 * 1024


class SourceError(ValueError):
    """The file cannot be completed; str() is a one-line reason for the user."""


def read_source(path: Path) -> str:
    """The file's text (UTF-8, a leading BOM dropped, newlines as written)."""
    try:
        status = path.stat()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except (OSError, ValueError) as error:  # a symlink loop, a NUL byte in the name
        reason = getattr(error, "strerror", None) or error
        raise SourceError(f"{path}: cannot be read ({reason})") from None
    if stat.S_ISDIR(status.st_mode):
        raise SourceError(f"{path}: is a directory, not a file")
    if not stat.S_ISREG(status.st_mode):
        # Reading a FIFO or a device would wait for a writer, or never end.
        raise SourceError(f"{path}: is not a regular file (a pipe, socket or device)")
    try:
        size = status.st_size
        if size > MAX_SOURCE_BYTES:
            raise SourceError(
                f"{path}: too large to complete ({size:,} bytes; the limit is {MAX_SOURCE_BYTES:,})"
            )
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: cannot be read ({error.strerror or error})") from error
    if b"\0" in data:
        raise SourceError(f"{path}: looks like a binary file (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(
            f"{path}: is not UTF-8 text (invalid byte 0x{data[error.start]:02x} at offset "
            f"{error.start})"
        ) from error
