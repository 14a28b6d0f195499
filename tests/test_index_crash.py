"""The index survives `kill -9` at any moment of a build (restarted, it equals a clean build)
and several processes creating it at the same moment."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
from pathlib import Path

import tantivy

from codegen_complete.context.index.repo import RepoIndex

FILES = 240
# The child commits every few files, as the server does every 500, so that kills land before,
# between and inside commits.
CHILD = """
import os, signal, sys, threading
from pathlib import Path
from codegen_complete.context.index import repo as index
index.COMMIT_FILES = 9
built = index.RepoIndex.for_workspace(Path(sys.argv[1]), Path(sys.argv[2]))
kill_after = float(sys.argv[3])
if kill_after >= 0:
    threading.Timer(kill_after, os.kill, (os.getpid(), signal.SIGKILL)).start()
built.refresh()
built.close()
print("finished", flush=True)
os._exit(0)  # not waiting for the timer
"""
# Says it is ready, then waits for a go file, so that the processes open the new index at
# the same moment.
OPENER = """
import sys, time
from pathlib import Path
from codegen_complete.context.index.repo import RepoIndex
go = Path(sys.argv[3])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
index = RepoIndex.for_workspace(Path(sys.argv[1]), Path(sys.argv[2]))
index.refresh()
print(index.log, index.writable, flush=True)
index.close()
"""


def make_project(root: Path) -> None:
    for number in range(FILES):
        folder = root / f"package_{number % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "".join(
            f"    value_{number}_{line} = compute_{line % 5}(item, {line})\n" for line in range(30)
        )
        (folder / f"module_{number}.py").write_text(f"def handle_{number}(item):\n{body}")


def build(root: Path, cache: Path, kill_after: float = -1.0) -> bool:
    """Whether the build in a child process finished (it is killed after `kill_after` s)."""
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), str(cache), str(kill_after)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if "finished" in child.stdout:
        return True
    assert child.returncode == -signal.SIGKILL, child.stderr
    return False


def edit(root: Path, numbers: list[int]) -> None:
    for number in numbers:
        path = root / f"package_{number % 7}" / f"module_{number}.py"
        path.write_text(path.read_text() + f"    return item.finish_{number}()\n")


def contents(root: Path, cache: Path) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    """(every window as (path, start), every file row as (path, size))."""
    index = RepoIndex.for_workspace(root, cache)
    try:
        searcher = index._index.searcher()
        hits = searcher.search(tantivy.Query.all_query(), limit=1_000_000).hits
        windows = set()
        for _, address in hits:
            document = searcher.doc(address)
            windows.add((document["path"][0], document["start"][0]))
        rows = set(index._files.execute("SELECT path, size FROM files"))
        return windows, rows
    finally:
        index.close()


def test_killed_at_twenty_random_points_the_index_equals_a_clean_build(tmp_path: Path) -> None:
    root = tmp_path / "project"
    make_project(root)
    killed = tmp_path / "killed"
    rng = random.Random(25)
    kills, limit = 0, 0.4
    for _ in range(60):
        # Half the files change before each run (a branch switch), so that every run has a
        # build to be killed in: anywhere from the start of the process (imports, opening
        # the index) to the end of the build (about 0.4 s on a quiet machine).
        edit(root, rng.sample(range(FILES), FILES // 2))
        if build(root, killed, kill_after=rng.uniform(0.0, limit)):
            limit *= 0.8  # it finished first: kill sooner
        else:
            kills += 1
            if kills == 20:
                break
    assert kills == 20
    assert build(root, killed)
    clean = tmp_path / "clean"
    assert build(root, clean)
    expected = contents(root, clean)
    assert len(expected[1]) == FILES and len(expected[0]) > 5 * FILES
    assert contents(root, killed) == expected


def test_processes_creating_a_new_index_together_all_open_it(tmp_path: Path) -> None:
    """The server and its indexer process, or two CLI runs, open a new workspace's index at
    once: none fails, none takes the other's half-made files for corrupt, one writes."""
    root = tmp_path / "project"
    make_project(root)
    for attempt in range(6):
        cache, go = tmp_path / f"cache{attempt}", tmp_path / f"go{attempt}"
        command = [sys.executable, "-c", OPENER, str(root), str(cache), str(go)]
        openers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True) for _ in range(4)]  # fmt: skip
        for opener in openers:  # all of them imported and waiting
            assert opener.stdout is not None and opener.stdout.readline() == "ready\n"
        go.touch()
        outputs = [opener.communicate(timeout=120) for opener in openers]
        codes = [opener.returncode for opener in openers]
        assert codes == [0] * len(openers), outputs
        assert not any("unusable" in out for out, _ in outputs), outputs
        assert len(contents(root, cache)[1]) == FILES
