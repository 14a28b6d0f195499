"""`python -m codegen_complete.context.index.indexer ROOT CACHE_DIR`: bring a workspace's
index up to date in a process of its own, at low CPU priority, saying how far it is as JSON lines.

The server runs it rather than a thread: a thread held the server's GIL and a core against
the model, and completions took twice as long while a 12,000-file repository was indexed.
The process may be killed at any moment (the server's shutdown does): the index is
crash-consistent (context/index/repo.py), and the next build goes on from what was committed.

Lines on stdout: first {"ready": true} (it now dies with the server: only then may the server
pause it), {"log": text}, {"done": files, "total": files} (a few a second), and last
{"report": text, "done": files, "total": files, "files": indexed, "windows": n, "bytes": n}.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

NICENESS = 10  # under the server and the editor; the build takes what they leave
PR_SET_PDEATHSIG = 1  # linux/prctl.h
PROGRESS_EVERY_S = 0.5


def die_with_parent() -> None:
    """Linux: be killed when the server dies, even by kill -9 (the server pauses this process
    with SIGSTOP while it answers: an orphan would stay stopped for good)."""
    # A stopped process whose process group becomes orphaned gets SIGHUP (POSIX): the
    # server's exit, or another process's in its group, killed builds paused at that moment.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the call
            os._exit(1)


def emit(message: dict[str, Any]) -> None:
    print(json.dumps(message), flush=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(
            "usage: python -m codegen_complete.context.index.indexer ROOT CACHE_DIR",
            file=sys.stderr,
        )
        return 2
    root, cache_dir = Path(args[0]), Path(args[1])
    die_with_parent()
    emit({"ready": True})
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    # Imported once this process dies with the server: the index and its libraries take a
    # while to load, and the server may pause the process from the ready line on.
    from codegen_complete.context.index.repo import RepoIndex

    index = RepoIndex.for_workspace(root, cache_dir)
    for line in index.log:
        emit({"log": line})
    if not index.writable:  # another server builds it: this one searches what that writes
        index.close()
        return 0
    said = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal said
        if time.monotonic() - said >= PROGRESS_EVERY_S:
            said = time.monotonic()
            emit({"done": done, "total": total})

    report = index.refresh(progress=progress)
    files, windows, size = index.stats()
    index.close()
    emit({
        "report": report.describe(), "done": report.found - report.left_out,
        "total": report.found,
        "files": files, "windows": windows, "bytes": size,
    })  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
