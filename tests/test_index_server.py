"""The server's index build: in a process of its own, whole in the first run, with a progress
bar that counts files, searchable while it runs, and stopped at once by a shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from codegen_complete.server.indexing import IndexBuild
from codegen_complete.server.service import CompletionService
from codegen_complete.server.settings import Settings
from tests.test_adversarial import Client
from tests.test_lsp import record_statuses, wait_for_status

SERVER = [sys.executable, "-m", "codegen_complete.server.cli", "serve"]
FILES = 1_500
TOKEN = "codegen-complete/index"


def make_project(root: Path, files: int) -> None:
    for number in range(files):
        folder = root / f"package_{number % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "".join(f"    total_{line} = measure_{number}(item, {line})\n" for line in range(20))
        (folder / f"module_{number}.py").write_text(f"def handle_{number}(item):\n{body}")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    make_project(root, FILES)
    # Symlink loops, a file one and a folder one: the build walks past them (they once left
    # it unfinished for good).
    (root / "a.py").symlink_to(root / "b.py")
    (root / "b.py").symlink_to(root / "a.py")
    (root / "loop").symlink_to(root / "loop")
    return root


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient, tiny_store: Path, project: Path) -> Any:
    lsp_client.statuses = record_statuses(lsp_client)

    @lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:  # the file watcher: accepted
        return None

    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=project.as_uri(),
            initialization_options={"model": "tiny-qwen", "modelsDir": str(tiny_store)},
        )
    )
    await wait_for_status(lsp_client.statuses, "ready")
    yield
    await lsp_client.shutdown_session()


async def index_end(client: LanguageClient) -> types.WorkDoneProgressEnd:
    async with asyncio.timeout(120):
        while True:
            reports = client.progress_reports.get(TOKEN, [])
            if reports and isinstance(reports[-1], types.WorkDoneProgressEnd):
                return reports[-1]
            await asyncio.sleep(0.05)


async def test_the_whole_workspace_is_indexed_with_a_percentage(client: LanguageClient) -> None:
    end = await index_end(client)
    assert end.message == f"indexed {FILES:,} of {FILES:,} files"
    begin, *reports = client.progress_reports[TOKEN][:-1]
    assert isinstance(begin, types.WorkDoneProgressBegin) and begin.percentage == 0
    percentages = [r.percentage for r in reports if isinstance(r, types.WorkDoneProgressReport)]
    assert percentages == sorted(percentages) and all(0 <= p <= 100 for p in percentages)
    logged = " ".join(m.message for m in client.log_messages)
    assert f"{FILES} files indexed" in logged


def building(tiny_store: Path, tmp_path: Path) -> tuple[Client, Path]:
    """A server started on a workspace big enough for a build of several seconds, once its
    indexer process is at work."""
    project = tmp_path / "big"
    make_project(project, 15_000)
    client = Client()
    client.initialize(tiny_store, project)
    deadline = time.monotonic() + 30
    while not indexers(project) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert indexers(project), "no indexer process"
    return client, project


def test_a_shutdown_during_a_build_ends_the_server_and_the_build_at_once(
    tiny_store: Path, tmp_path: Path
) -> None:
    client, project = building(tiny_store, tmp_path)
    started = time.perf_counter()
    assert "result" in client.request("shutdown")
    client.notify("exit")
    assert client.process.wait(timeout=10) == 0
    assert time.perf_counter() - started < 3.0
    stderr = client.close()
    assert len(stderr.splitlines()) < 20, stderr[-2000:]
    assert not indexers(project)


def indexers(root: Path) -> list[int]:
    """The indexer processes building `root`'s index."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"codegen_complete.context.index.indexer" in command and str(root).encode() in command:
            found.append(int(entry.name))
    return found


def process_state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_the_indexer_process_waits_while_the_model_works(tmp_path: Path) -> None:
    project = tmp_path / "big"
    make_project(project, 10_000)  # about 2.5 s of building
    service = CompletionService(Settings(), [project])
    thread = threading.Thread(
        target=service.index_workspaces, args=(tmp_path / "cache", lambda line: None), daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not indexers(project) and time.monotonic() < deadline:
            time.sleep(0.05)
        (pid,) = indexers(project)
        time.sleep(0.7)
        assert process_state(pid) != "T"  # building: the model has been idle
        release = threading.Event()
        service._executor.submit(release.wait, 10)  # the model at work (a request)
        time.sleep(0.3)
        assert process_state(pid) == "T"  # stopped where it was
        release.set()
        time.sleep(0.2)
        assert process_state(pid) == "T"  # still: keys come every ~170 ms when typing
        time.sleep(0.6)
        assert process_state(pid) != "T"  # the user rests: it builds on
    finally:
        service.shutdown()
        thread.join(timeout=30)
    assert not indexers(project)


def test_a_paused_build_survives_the_hangup_of_an_orphaned_process_group(tmp_path: Path) -> None:
    # POSIX sends SIGHUP to a stopped process whose process group becomes orphaned: when the
    # server (or another process of its group) exited while a build was paused, it died.
    project = tmp_path / "project"
    make_project(project, 2_000)
    build = IndexBuild(project, tmp_path / "cache")
    results: list[Any] = []
    follower = threading.Thread(
        target=lambda: results.append(build.follow(lambda done, total: None, lambda line: None))
    )
    follower.start()
    assert build.ready.wait(30)  # it dies with the server from here on: it may be paused
    assert ignores_hangup(build.process.pid)
    build.pause(True)
    # SIGSTOP is delivered asynchronously: the state says "T" once the process has stopped.
    deadline = time.monotonic() + 5
    while process_state(build.process.pid) != "T" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process_state(build.process.pid) == "T"
    build.process.send_signal(signal.SIGHUP)
    build.pause(False)
    follower.join(60)
    (built,) = results
    assert built.finished and built.done == built.total == 2_000


SERVER_GONE_AT_ONCE = """
import os, sys, threading, time
from pathlib import Path
from codegen_complete.server.indexing import IndexBuild
build = IndexBuild(Path(sys.argv[1]), Path(sys.argv[2]))
threading.Thread(target=build.follow, args=(lambda d, t: None, print), daemon=True).start()
print(build.process.pid, flush=True)
deadline = time.monotonic() + float(sys.argv[3])
while time.monotonic() < deadline:  # the model at work from the start: pause it
    build.pause(True)
    time.sleep(0.005)
os._exit(0)  # killed: no shutdown, no stop()
"""


@pytest.mark.parametrize("lifetime_s", [0.05, 0.3, 1.5])
def test_a_server_gone_while_its_build_is_paused_leaves_no_stopped_build(
    tmp_path: Path, lifetime_s: float
) -> None:
    # A build paused before it could arrange to die with the server stayed stopped for good,
    # an orphan holding the index's lock (the next server's build then failed: LockBusy).
    project = tmp_path / "project"
    make_project(project, 200)
    server = subprocess.run(
        [sys.executable, "-c", SERVER_GONE_AT_ONCE, str(project), str(tmp_path / "cache"),
         str(lifetime_s)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    pid = int(server.stdout.split()[0])
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = alive(pid) and process_state(pid)
    if left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"the build outlived its server, state {left}"


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting for its new parent."""
    try:
        return process_state(pid) != "Z"
    except OSError:
        return False


def ignores_hangup(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGHUP - 1)))
    return False


def test_an_editor_gone_without_a_shutdown_leaves_no_server_and_no_build(
    tiny_store: Path, tmp_path: Path
) -> None:
    client, project = building(tiny_store, tmp_path)
    assert client.process.stdin is not None
    client.process.stdin.close()  # the editor died: its end of the pipe closes
    # At once, not when the build ends (a paused build never ended: the server stayed).
    assert client.process.wait(timeout=3) is not None
    time.sleep(0.5)
    assert not indexers(project)
