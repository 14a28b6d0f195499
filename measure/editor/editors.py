"""What the typing benchmark's user types into: `codegen-complete serve` driven as an editor
drives it, or an in-process editor (the no-model lookup, the tests' scripted servers)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from codegen_complete.measure.editor.lspclient import EditorSession
from codegen_complete.measure.quality.fresh import NextLines, source_files


class Editor(Protocol):
    """What the simulated user types into: our server, or the no-model lookup."""

    def open(self, path: Path, text: str) -> str: ...

    def close(self, uri: str) -> None: ...

    def text(self, uri: str) -> str: ...

    def replace(self, uri: str, start: int, end: int, new_text: str) -> None: ...

    def focus(self, uri: str, offset: int) -> None:
        """The cursor rests at `offset` (codegenComplete/didFocus)."""
        ...

    def ask(self, uri: str, offset: int) -> tuple[asyncio.Future[str], Callable[[], None]]:
        """An automatic request: its answer's text, and how to cancel it."""
        ...

    def pause(self) -> None:
        """Take no CPU until `resume` (while another editor is measured)."""
        ...

    def resume(self) -> None: ...

    def cpu_s(self) -> float: ...

    def peak_rss_mb(self) -> float: ...

    def log(self) -> list[str]: ...

    @property
    def crashed(self) -> bool: ...

    async def stop(self) -> None: ...


class ServerEditor:
    """`codegen-complete serve` driven as an editor drives it."""

    def __init__(self, session: EditorSession, index_dir: Path | None = None) -> None:
        self.session = session
        self.index_dir = index_dir  # the indexes of its own, removed when it stops

    @classmethod
    async def start(
        cls,
        root: Path,
        settings: dict[str, Any],
        pythonpath: str | None,
        indexing: Path | None = None,
    ) -> ServerEditor:
        """The server for `root`; with `indexing`, that folder is a second workspace folder,
        indexed afresh (an empty index folder) while the user types in `root`."""
        index_dir = Path(tempfile.mkdtemp(prefix="keystrokes-index-")) if indexing else None
        session = await EditorSession.start(
            root, settings, pythonpath, index=True,
            more_roots=(indexing,) if indexing else (), index_dir=index_dir,
        )  # fmt: skip
        return cls(session, index_dir)

    def open(self, path: Path, text: str) -> str:
        return self.session.open(path, text)

    def close(self, uri: str) -> None:
        self.session.close(uri)

    def text(self, uri: str) -> str:
        return self.session.texts[uri]

    def focus(self, uri: str, offset: int) -> None:
        self.session.focus(uri, offset)

    def replace(self, uri: str, start: int, end: int, new_text: str) -> None:
        self.session.replace(uri, start, end, new_text)

    def ask(self, uri: str, offset: int) -> tuple[asyncio.Future[str], Callable[[], None]]:
        return self.session.ask(uri, offset)

    def pause(self) -> None:
        self.session.pause()

    def resume(self) -> None:
        self.session.resume()

    def cpu_s(self) -> float:
        return self.session.cpu_s()

    def peak_rss_mb(self) -> float:
        return self.session.peak_rss_mb()

    def log(self) -> list[str]:
        return self.session.log

    @property
    def crashed(self) -> bool:
        return self.session.crashed

    async def stop(self) -> None:
        await self.session.stop()
        if self.index_dir is not None:
            shutil.rmtree(self.index_dir, ignore_errors=True)


class InProcessEditor:
    """An editor whose answers come from this process (no server): documents as text, no
    CPU or memory of its own to report. Subclasses say how a request is answered."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def open(self, path: Path, text: str) -> str:
        self.texts[path.as_uri()] = text
        return path.as_uri()

    def close(self, uri: str) -> None:
        self.texts.pop(uri, None)

    def text(self, uri: str) -> str:
        return self.texts[uri]

    def focus(self, uri: str, offset: int) -> None:
        return None

    def replace(self, uri: str, start: int, end: int, new_text: str) -> None:
        text = self.texts[uri]
        self.texts[uri] = text[:start] + new_text + text[end:]

    def ask(self, uri: str, offset: int) -> tuple[asyncio.Future[str], Callable[[], None]]:
        raise NotImplementedError

    def pause(self) -> None:
        return None

    def resume(self) -> None:
        return None

    def cpu_s(self) -> float:
        return 0.0

    def peak_rss_mb(self) -> float:
        return 0.0

    def log(self) -> list[str]:
        return []

    @property
    def crashed(self) -> bool:
        return False

    async def stop(self) -> None:
        return None


class LookupEditor(InProcessEditor):
    """The no-model floor: at a line, the line that most often follows the line above
    elsewhere in the project, when it starts with what is typed; answered at once."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self._others: dict[str, NextLines] = {}

    def open(self, path: Path, text: str) -> str:
        if path.as_uri() not in self._others:
            others = [p.read_text(encoding="utf-8") for p in source_files(self.root) if p != path]
            self._others[path.as_uri()] = NextLines.of(others)
        return super().open(path, text)

    def ask(self, uri: str, offset: int) -> tuple[asyncio.Future[str], Callable[[], None]]:
        text = self.texts[uri]
        line_start = text.rfind("\n", 0, offset) + 1
        typed = text[line_start:offset].lstrip()
        above = next((x.strip() for x in reversed(text[:line_start].split("\n")) if x.strip()), "")
        counts = Counter(self._others[uri].follows.get(above, Counter()))
        counts += NextLines.of([text]).follows.get(above, Counter())
        answer = ""
        for line, _ in counts.most_common():
            if line.startswith(typed) and len(line) > len(typed):
                answer = line[len(typed) :]
                break
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        future.set_result(answer)
        return future, lambda: None


def replace_changed(editor: Editor, uri: str, new: str) -> None:
    """Make the document `new` with one change covering only what differs, as an editor's
    edit is sent."""
    old = editor.text(uri)
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[len(old) - 1 - end] == new[len(new) - 1 - end]:
        end += 1
    editor.replace(uri, start, len(old) - end, new[start : len(new) - end])


Start = Callable[[Path], Awaitable[Editor]]


def server_start(
    settings: dict[str, Any], pythonpath: str | None, indexing: Path | None = None
) -> Start:
    async def start(root: Path) -> Editor:
        return await ServerEditor.start(root, settings, pythonpath, indexing)

    return start


async def lookup_start(root: Path) -> Editor:
    return LookupEditor(root)
