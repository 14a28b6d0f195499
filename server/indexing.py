"""The workspace roots and their indexes (`Workspaces`), the indexer process that builds one
(`IndexBuild`: context/index/indexer.py, followed from a thread), and the model's worker
thread, which says how long the model has been idle so that the indexer process can be
paused while it works."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from codegen_complete.context.index.repo import INDEX_ENV, RepoIndex
from codegen_complete.context.workspace import resolved
from codegen_complete.models.store import cache_home

INDEXER = "codegen_complete.context.index.indexer"  # run as a module

T = TypeVar("T")


@dataclass(frozen=True)
class Built:
    """How a build ended."""

    done: int  # files looked at
    total: int  # files found
    report: str  # what it did, in words ("" when it did not finish)
    finished: bool


class IndexBuild:
    """`python -m codegen_complete.context.index.indexer` for one root; `follow` reads its progress
    until it ends, `stop` kills it (safe at any moment: the index is crash-consistent)."""

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root = root
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by follow)
        self.process = subprocess.Popen(
            [sys.executable, "-m", INDEXER, str(root), str(cache_dir)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._errors, text=True,
            start_new_session=True,  # out of the editor's process group and its signals
        )  # fmt: skip
        self.stopped = False
        self.paused = False
        # Set once the process said it dies with the server: paused before that, it would
        # stay stopped for good if the server died then (tests left such orphans).
        self.ready = threading.Event()

    def pause(self, paused: bool) -> None:
        """Stop the process where it is (SIGSTOP) or let it go on: it yields the cores to the
        model while requests are answered, and builds when the user rests."""
        if paused == self.paused or self.stopped or self.process.poll() is not None:
            return
        if not self.ready.is_set():
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGSTOP if paused else signal.SIGCONT)
        self.paused = paused

    def follow(self, progress: Callable[[int, int], None], say: Callable[[str], None]) -> Built:
        """Read the process's lines until it exits: `progress` gets (done, total) files,
        `say` its log lines."""
        assert self.process.stdout is not None
        last: dict[str, Any] = {}
        for line in self.process.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "ready" in message:
                self.ready.set()
            elif "log" in message:
                say(str(message["log"]))
            elif "done" in message:
                last = message
                progress(int(message["done"]), int(message["total"]))
        code = self.process.wait()
        self._errors.seek(0)
        errors = self._errors.read().decode(errors="replace").strip()
        self._errors.close()
        if code != 0 and not self.stopped:
            say(f"the index of {self.root} stopped (exit {code}): {errors[-500:] or 'no message'}")
        return Built(
            done=int(last.get("done", 0)),
            total=int(last.get("total", 0)),
            report=str(last.get("report", "")),
            finished=code == 0 and "report" in last,
        )

    def stop(self) -> None:
        self.stopped = True
        if self.process.poll() is None:
            self.process.kill()  # a stopped process dies of it too


class ModelWorker(ThreadPoolExecutor):
    """The one thread that runs the model, knowing whether it is at work and since when it
    has been idle."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="completion")
        self._active = 0
        self._idle_since = time.monotonic()
        self._activity = threading.Lock()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._activity:
            self._active += 1

        def tracked() -> T:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._activity:
                    self._active -= 1
                    self._idle_since = time.monotonic()

        try:
            future = super().submit(tracked)
        except RuntimeError:  # shut down: nothing will run
            with self._activity:
                self._active -= 1
            raise
        future.add_done_callback(self._dropped)
        return future

    def _dropped(self, future: Future[Any]) -> None:
        """Work cancelled before it ran (asyncio cancels the future it wraps when the
        client cancels its request) never runs `tracked`: it is no longer at work. Counted as
        at work, it kept the worker busy for good, and the indexer paused with it."""
        if future.cancelled():
            with self._activity:
                self._active -= 1
                self._idle_since = time.monotonic()

    def quiet_for(self) -> float:
        """Seconds since the last work ended; 0 while work runs or waits."""
        with self._activity:
            return 0.0 if self._active else time.monotonic() - self._idle_since


# The indexer process goes on once the model has been idle this long (typing keeps it paused:
# keys come every ~170 ms), and its pause is checked this often.
BUILD_RESUME_QUIET_S = 0.5
PACE_S = 0.05


def index_cache_dir() -> Path:
    """Where workspace indexes live: $CODEGEN_COMPLETE_INDEX, else $XDG_CACHE_HOME (or
    ~/.cache)/codegen-complete/index."""
    if folder := os.environ.get(INDEX_ENV):
        return Path(folder)
    return cache_home() / "index"


class Workspaces:
    """The workspace roots, the search index of each (once `build` has opened it) and the
    indexer process that brings it up to date."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = [root.resolve() for root in roots]
        self.indexes: dict[Path, RepoIndex] = {}
        self._builds: dict[Path, IndexBuild] = {}
        self._saved_while_building: dict[Path, set[Path]] = {}
        self._closing = False

    def root_for(self, path: Path | None) -> Path | None:
        """The root a file is in, or None."""
        if path is None:
            return None
        real = resolved(path)
        if real is None:
            return None
        # The innermost: a project opened inside another one is a workspace of its own.
        inside = [root for root in self.roots if real.is_relative_to(root)]
        return max(inside, key=lambda root: len(root.parts), default=None)

    def add(self, root: Path) -> bool:
        """A workspace folder the client added (a file of another project opened); whether
        it is new (then `build` indexes it)."""
        root = root.resolve()
        if root in self.roots or self._closing:
            return False
        self.roots.append(root)
        return True

    def remove(self, root: Path) -> None:
        """A workspace folder the client removed: its build stops, its index closes."""
        root = root.resolve()
        if root in self.roots:
            self.roots.remove(root)
        if (build := self._builds.pop(root, None)) is not None:
            build.stop()
        if (index := self.indexes.pop(root, None)) is not None:
            index.close()

    def index_of(self, root: Path | None) -> RepoIndex | None:
        return self.indexes.get(root) if root is not None else None

    def build(
        self,
        cache_dir: Path,
        say: Callable[[str], None],
        progress: Callable[[Path, int, int], None],
        model_quiet_for: Callable[[], float],
        roots: list[Path] | None = None,
    ) -> str:
        """Bring each root's (or each of `roots`') index up to date, whole, in an indexer
        process of its own (slow: for a thread of its own, which only waits), paused while
        the model works (its worker's `model_quiet_for`). Meanwhile completions search what
        the index held already and what the build commits. `say` gets the log lines,
        `progress` (root, files done, files found); the summary is returned."""
        summaries = []
        for root in list(self.roots if roots is None else roots):
            if self._closing:
                break
            if root not in self.roots:
                continue  # removed meanwhile
            # Opened first, for searching only: the indexer process writes.
            self.indexes[root] = reader = RepoIndex.for_workspace(root, cache_dir, writable=False)
            for line in reader.log:
                say(line)
            build = self._builds[root] = IndexBuild(root, cache_dir)
            pacing = threading.Thread(target=self._pace, args=(build, model_quiet_for))
            pacing.daemon = True
            pacing.start()
            built = build.follow(functools.partial(progress, root), say)
            if self._closing:
                break
            if root not in self.roots:
                continue  # removed while it was built: remove() closed its index
            # Searching and updating now: files saved during the build are read again.
            self.indexes[root] = writer = RepoIndex.for_workspace(root, cache_dir)
            reader.close()
            for path in self._saved_while_building.pop(root, set()):
                writer.update(path)
            files, windows, size = writer.stats()
            say(f"index of {root}: {built.report or 'not finished'}; {files} files, "
                f"{windows} windows, {size / 1e6:.1f} MB")  # fmt: skip
            summaries.append(f"{built.done:,} of {built.total:,} files")
        return ", ".join(summaries)

    def _pace(self, build: IndexBuild, model_quiet_for: Callable[[], float]) -> None:
        """Pause the indexer process while the model works (a request, or idle-time warming
        after it) and for BUILD_RESUME_QUIET_S after; it builds while the user rests."""
        while build.process.poll() is None and not self._closing:
            build.pause(model_quiet_for() < BUILD_RESUME_QUIET_S)
            time.sleep(PACE_S)
        build.pause(False)

    def file_changed(self, path: Path) -> None:
        """A file was saved, created, changed or deleted on disk: re-read it into its index
        (after the build, when one runs)."""
        root = self.root_for(path)
        if root is None or root not in self.indexes:
            return
        index = self.indexes[root]
        if index.writable:
            index.update(path)
        else:
            self._saved_while_building.setdefault(root, set()).add(path)

    def close(self) -> None:
        self._closing = True
        for build in self._builds.values():
            build.stop()
        for index in self.indexes.values():
            index.close()
