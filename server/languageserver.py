"""The language server object and the work it does on its own, not in answer to a request:
telling the client (messages, the log, `codegenComplete/status`, $/progress), loading the
model, building the workspace's index, watching the remote server's health."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from codegen_complete.completion.remote.endpoint import Health
from codegen_complete.context.index.repo import SUFFIXES
from codegen_complete.server.indexing import index_cache_dir
from codegen_complete.server.positions import path_of
from codegen_complete.server.protocol import Protocol
from codegen_complete.server.service import CompletionService
from codegen_complete.server.settings import UNKNOWN_SETTING, Settings

T = TypeVar("T")
NAME = "codegen-complete"
_INDEX_BUILDS = itertools.count(2)  # each later build's progress has a token of its own
STATUS = "codegenComplete/status"


class CompletionServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            NAME,
            "0.1.0",
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=Protocol,
        )
        self.service = CompletionService(Settings())
        # The model's load in progress: a request that comes meanwhile waits for it.
        self.loading: asyncio.Task[None] | None = None
        # Settings problems already reported, and those of the current change.
        self.reported_settings: set[str] = set()
        self.new_setting_problems: list[str] = []
        # The remote backend's state last sent to the client: a change is sent once, not a
        # message per keystroke.
        self.reported_health: Health | None = None
        self.remote_check: asyncio.Future[None] | None = None  # kept: a task needs a reference

    def report_server_error(self, error: Exception, source: Any) -> None:
        # A malformed message is the client's bug, not the user's business: log it rather
        # than pop up a message box for each one.
        log_message(self, f"{NAME}: {type(error).__name__}: {error}")


def say(ls: CompletionServer, message: str, kind: types.MessageType) -> None:
    ls.window_show_message(types.ShowMessageParams(type=kind, message=f"{NAME}: {message}"))


def log_message(ls: CompletionServer, message: str, detail: bool = False) -> None:
    """A line for the client's log: Info, or, for `detail` (the lines each request and each
    move of the cursor make), Log, the LSP's lowest level that every client knows (Debug is
    3.18's), which the editors/ clients show only when asked to (VS Code's output channel at
    its Debug level, the Neovim plugin's `log_level = 'debug'`)."""
    kind = types.MessageType.Log if detail else types.MessageType.Info
    ls.window_log_message(types.LogMessageParams(type=kind, message=message))


def status(ls: CompletionServer, state: str, message: str) -> None:
    """`codegenComplete/status`: loading / ready / error, for a client's status display.
    Clients that do not know the notification ignore it (LSP: unknown notifications)."""
    ls.protocol.notify(STATUS, {"state": state, "message": message})


def roots(params: types.InitializeParams) -> list[Path]:
    uris = [folder.uri for folder in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    return [path for uri in uris if (path := path_of(uri)) is not None]


def report_settings(ls: CompletionServer, problems: list[str]) -> None:
    """Problems with the settings, respecting the user: keys that are not ours (another
    tool's settings sent at the top level, a typo) go to the log once; each bad value pops up
    once per session; one popup per settings change at most."""
    for problem in problems:
        if problem not in ls.reported_settings:
            ls.reported_settings.add(problem)
            if problem.startswith(UNKNOWN_SETTING):
                log_message(ls, f"{NAME}: {problem}")
            else:
                ls.new_setting_problems.append(problem)
    if ls.new_setting_problems:
        say(ls, "; ".join(ls.new_setting_problems), types.MessageType.Warning)
        ls.new_setting_problems.clear()


async def _begin_progress(
    ls: CompletionServer, token: str, title: str, percentage: int | None = None
) -> bool:
    """Start a $/progress bar where the client supports one (with a percentage that reports
    follow, when one is given); whether it started."""
    window = ls.client_capabilities.window
    if not (window and window.work_done_progress):
        return False
    try:
        await ls.work_done_progress.create_async(token)
        ls.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title=f"{NAME}: {title}", percentage=percentage)
        )
    except Exception:  # a client may refuse the token; the work goes on without a bar
        return False
    return True


async def index_workspaces(ls: CompletionServer, roots: list[Path] | None = None) -> None:
    """Build or refresh the search index of every workspace folder (or of `roots`, folders
    added later) beside everything else, with progress; completions go on meanwhile."""
    if not ls.service.settings.options().retrieval or not (roots or ls.service.workspaces.roots):
        return
    loop = asyncio.get_running_loop()
    # The first build's token is the one clients know; a folder added later has its own.
    token = "codegen-complete/index"
    if roots is not None:
        token += f"/{next(_INDEX_BUILDS)}"
    progress = await _begin_progress(ls, token, "indexing the workspace", percentage=0)

    def say(line: str) -> None:
        loop.call_soon_threadsafe(log_message, ls, f"{NAME}: {line}")

    def report(root: Path, done: int, total: int) -> None:
        if progress and total:
            message = f"{root.name}: {done:,} of {total:,} files"
            percentage = min(100, done * 100 // total)
            loop.call_soon_threadsafe(
                ls.work_done_progress.report,
                token,
                types.WorkDoneProgressReport(message=message, percentage=percentage),
            )

    summary = await on_own_thread(
        ls.service.index_workspaces, index_cache_dir(), say, report, roots
    )
    if progress:
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=f"indexed {summary}"))
    if roots is None:  # the first build: files changed on disk are reported from now on
        await _watch_files(ls)


async def _watch_files(ls: CompletionServer) -> None:
    """Ask the client to report files changed on disk (git checkout, generators), where it
    can; saves in the editor come as didSave anyway."""
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if not (watched and watched.dynamic_registration):
        return
    pattern = "**/*{" + ",".join(SUFFIXES) + "}"
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern=pattern)]
    )
    with contextlib.suppress(Exception):  # a refusal only means no updates from outside
        await ls.client_register_capability_async(
            types.RegistrationParams(
                registrations=[
                    types.Registration(
                        id="codegen-complete/watch",
                        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                        register_options=options,
                    )
                ]
            )
        )


async def start_loading(ls: CompletionServer) -> None:
    ls.loading = asyncio.ensure_future(_load_model(ls))
    await asyncio.shield(ls.loading)


async def _load_model(ls: CompletionServer) -> None:
    token = "codegen-complete/load"
    model = ls.service.settings.model
    status(ls, "loading", f"loading {model}")
    progress = await _begin_progress(ls, token, "loading the model")
    error = await asyncio.get_running_loop().run_in_executor(None, ls.service.load)
    if progress:
        ls.work_done_progress.end(
            token, types.WorkDoneProgressEnd(message="ready" if error is None else "failed")
        )
    if error is not None:
        say(ls, error, types.MessageType.Error)
        status(ls, "error", error)
        return
    for warning in ls.service.warnings:
        say(ls, warning, types.MessageType.Warning)
    health = ls.reported_health = ls.service.health()
    if health is None:
        log_message(ls, f"{NAME}: model {model} ready")
        status(ls, "ready", model)
    else:
        log_message(ls, f"{NAME}: remote backend: {health.message} (prompts: {model}'s tokenizer)")
        status(ls, _state(health), health.message)
        # Not awaited: requests are served (or fall back) while the server is asked.
        ls.remote_check = asyncio.ensure_future(_check_remote(ls))


async def _check_remote(ls: CompletionServer) -> None:
    await on_own_thread(ls.service.check_remote)
    report_health(ls)


def on_own_thread(function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    """Run slow blocking work (an index build, a remote server's first answer) on a daemon
    thread of its own: leaving `asyncio.run`, the server waits for the default executor's
    threads, and an editor gone without a `shutdown` left it waiting for a whole build."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = function(*args), None
        except Exception as failure:  # handed to the awaiting coroutine
            result, error = None, failure
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, daemon=True, name=getattr(function, "__name__", "work")).start()
    return future


def _state(health: Health) -> str:
    """The status for the remote server's health: "loading" until it has answered once."""
    if not health.ok:
        return "error"
    return "ready" if health.answered else "loading"


def report_health(ls: CompletionServer) -> None:
    """Tell the client when the remote server goes down or comes back (once per change)."""
    health = ls.service.health()
    if health is None or health == ls.reported_health:
        return
    ls.reported_health = health
    log_message(ls, f"{NAME}: {health.message}")
    status(ls, _state(health), health.message)
