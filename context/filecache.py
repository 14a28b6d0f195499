"""Values computed from a file, kept while the file's size and modification time stay: what
keeps re-reading imported files, tsconfigs and build files off the typing path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


class FileCache(Generic[T]):
    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit  # past this many files, the least recently used goes
        self._entries: dict[Path, tuple[tuple[int, int], T]] = {}  # oldest use first

    def get(self, path: Path, compute: Callable[[], T]) -> T | None:
        """The value for `path`: remembered, or `compute()` when the file changed; None when
        the file cannot be looked at."""
        try:
            status = path.stat()
        except OSError:
            return None
        key = (status.st_size, status.st_mtime_ns)
        cached = self._entries.pop(path, None)
        if cached is not None and cached[0] == key:
            self._entries[path] = cached  # the most recently used now
            return cached[1]
        value = compute()
        if len(self._entries) >= self.limit:
            self._entries.pop(next(iter(self._entries)))
        self._entries[path] = (key, value)
        return value

    def __len__(self) -> int:
        return len(self._entries)
