"""The indexer process of one workspace root (context/index/indexer.py), followed from a thread, and
the model's worker thread, which says how long the model has been idle so that the indexer
process can be paused while it works."""

from __future__ import annotations

import contextlib
import json
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

    def pause(self, paused: bool) -> None:
        """Stop the process where it is (SIGSTOP) or let it go on: it yields the cores to the
        model while requests are answered, and builds when the user rests."""
        if paused == self.paused or self.stopped or self.process.poll() is not None:
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
            if "log" in message:
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
            return super().submit(tracked)
        except RuntimeError:  # shut down: nothing will run
            with self._activity:
                self._active -= 1
            raise

    def quiet_for(self) -> float:
        """Seconds since the last work ended; 0 while work runs or waits."""
        with self._activity:
            return 0.0 if self._active else time.monotonic() - self._idle_since
