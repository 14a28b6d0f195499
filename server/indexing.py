"""The indexer process of one workspace root (context/indexer.py), followed from a thread."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Built:
    """How a build ended."""

    done: int  # files looked at
    total: int  # files found
    report: str  # what it did, in words ("" when it did not finish)
    finished: bool


class IndexBuild:
    """`python -m codegen_complete.context.indexer` for one root; `follow` reads its progress
    until it ends, `stop` kills it (safe at any moment: the index is crash-consistent)."""

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root = root
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by follow)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "codegen_complete.context.indexer", str(root), str(cache_dir)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._errors, text=True,
        )  # fmt: skip
        self.stopped = False

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
            self.process.kill()
