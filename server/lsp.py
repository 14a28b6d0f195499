"""`codegen-complete serve`: the LSP server over stdio (pygls). Handlers only adapt.

Advertises textDocument/inlineCompletion (LSP 3.18 ghost text), a textDocument/completion
fallback carrying the same suggestion, and incremental sync. The model loads in the background
after `initialized`, reported with $/progress; until it is ready requests answer empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from codegen_complete.completion.remote.endpoint import Health
from codegen_complete.context.index.repo import SUFFIXES
from codegen_complete.server import framing
from codegen_complete.server.indexing import index_cache_dir
from codegen_complete.server.positions import PositionError, path_of
from codegen_complete.server.protocol import Protocol
from codegen_complete.server.requests import Answer, EditorSuggestion
from codegen_complete.server.service import CompletionService
from codegen_complete.server.settings import UNKNOWN_SETTING, Settings, parse_settings

log = logging.getLogger(__name__)
T = TypeVar("T")
NAME = "codegen-complete"
STATUS = "codegenComplete/status"
# From the clients: the user is at a place (a buffer focused, the cursor moved there) and has
# not typed yet; params {textDocument: {uri}, position: {line, character}}.
FOCUS = "codegenComplete/didFocus"


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
        _log(self, f"{NAME}: {type(error).__name__}: {error}")


server = CompletionServer()


def _say(ls: CompletionServer, message: str, kind: types.MessageType) -> None:
    ls.window_show_message(types.ShowMessageParams(type=kind, message=f"{NAME}: {message}"))


def _log(ls: CompletionServer, message: str) -> None:
    ls.window_log_message(types.LogMessageParams(type=types.MessageType.Log, message=message))


def _status(ls: CompletionServer, state: str, message: str) -> None:
    """`codegenComplete/status`: loading / ready / error, for a client's status display.
    Clients that do not know the notification ignore it (LSP: unknown notifications)."""
    ls.protocol.notify(STATUS, {"state": state, "message": message})


def _roots(params: types.InitializeParams) -> list[Path]:
    uris = [folder.uri for folder in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    return [path for uri in uris if (path := path_of(uri)) is not None]


def _report_settings(ls: CompletionServer, problems: list[str]) -> None:
    """Problems with the settings, respecting the user: keys that are not ours (another
    tool's settings sent at the top level, a typo) go to the log once; each bad value pops up
    once per session; one popup per settings change at most."""
    for problem in problems:
        if problem not in ls.reported_settings:
            ls.reported_settings.add(problem)
            if problem.startswith(UNKNOWN_SETTING):
                _log(ls, f"{NAME}: {problem}")
            else:
                ls.new_setting_problems.append(problem)
    if ls.new_setting_problems:
        _say(ls, "; ".join(ls.new_setting_problems), types.MessageType.Warning)
        ls.new_setting_problems.clear()


@server.feature(types.INITIALIZE)
def initialize(ls: CompletionServer, params: types.InitializeParams) -> None:
    settings, errors = parse_settings(params.initialization_options)
    ls.service = CompletionService(settings, _roots(params))
    _report_settings(ls, errors)


@server.feature(types.INITIALIZED)
async def initialized(ls: CompletionServer, params: types.InitializedParams) -> None:
    indexing = asyncio.ensure_future(_index_workspaces(ls))
    # Cancelled only when the server exits mid-way (the client gone): not an error to print.
    with contextlib.suppress(asyncio.CancelledError):
        await _start_loading(ls)
        await indexing


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


async def _index_workspaces(ls: CompletionServer) -> None:
    """Build or refresh the workspace's search index beside everything else, with progress;
    completions go on meanwhile, without it."""
    if not ls.service.settings.options().retrieval or not ls.service.workspaces.roots:
        return
    loop = asyncio.get_running_loop()
    token = "codegen-complete/index"
    progress = await _begin_progress(ls, token, "indexing the workspace", percentage=0)

    def say(line: str) -> None:
        loop.call_soon_threadsafe(_log, ls, f"{NAME}: {line}")

    def report(root: Path, done: int, total: int) -> None:
        if progress and total:
            message = f"{root.name}: {done:,} of {total:,} files"
            percentage = min(100, done * 100 // total)
            loop.call_soon_threadsafe(
                ls.work_done_progress.report,
                token,
                types.WorkDoneProgressReport(message=message, percentage=percentage),
            )

    summary = await _on_own_thread(ls.service.index_workspaces, index_cache_dir(), say, report)
    if progress:
        ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=f"indexed {summary}"))
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


async def _start_loading(ls: CompletionServer) -> None:
    ls.loading = asyncio.ensure_future(_load_model(ls))
    await asyncio.shield(ls.loading)


async def _load_model(ls: CompletionServer) -> None:
    token = "codegen-complete/load"
    model = ls.service.settings.model
    _status(ls, "loading", f"loading {model}")
    progress = await _begin_progress(ls, token, "loading the model")
    error = await asyncio.get_running_loop().run_in_executor(None, ls.service.load)
    if progress:
        ls.work_done_progress.end(
            token, types.WorkDoneProgressEnd(message="ready" if error is None else "failed")
        )
    if error is not None:
        _say(ls, error, types.MessageType.Error)
        _status(ls, "error", error)
        return
    for warning in ls.service.warnings:
        _say(ls, warning, types.MessageType.Warning)
    health = ls.reported_health = ls.service.health()
    if health is None:
        _log(ls, f"{NAME}: model {model} ready")
        _status(ls, "ready", model)
    else:
        _log(ls, f"{NAME}: remote backend: {health.message} (prompts: {model}'s tokenizer)")
        _status(ls, _state(health), health.message)
        # Not awaited: requests are served (or fall back) while the server is asked.
        ls.remote_check = asyncio.ensure_future(_check_remote(ls))


async def _check_remote(ls: CompletionServer) -> None:
    await _on_own_thread(ls.service.check_remote)
    _report_health(ls)


def _on_own_thread(function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
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


def _report_health(ls: CompletionServer) -> None:
    """Tell the client when the remote server goes down or comes back (once per change)."""
    health = ls.service.health()
    if health is None or health == ls.reported_health:
        return
    ls.reported_health = health
    _log(ls, f"{NAME}: {health.message}")
    _status(ls, _state(health), health.message)


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: CompletionServer, params: types.DidChangeConfigurationParams
) -> None:
    previous = ls.service.settings
    settings, errors = parse_settings(params.settings, previous)
    _report_settings(ls, errors)
    ls.service.settings = settings
    if settings.engine_settings != previous.engine_settings:
        await _start_loading(ls)


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: CompletionServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    ls.service.open(item.uri, item.text, item.language_id)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: CompletionServer, params: types.DidChangeTextDocumentParams) -> None:
    changes: list[tuple[tuple[int, int, int, int] | None, str]] = []
    for change in params.content_changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            r = change.range
            changes.append(
                ((r.start.line, r.start.character, r.end.line, r.end.character), change.text)
            )
        else:
            changes.append((None, change.text))
    try:
        ls.service.change(params.text_document.uri, changes)
    except (PositionError, ValueError) as error:
        _log(ls, f"{NAME}: ignoring a change to {params.text_document.uri}: {error}")


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
async def did_save(ls: CompletionServer, params: types.DidSaveTextDocumentParams) -> None:
    await _files_changed(ls, [params.text_document.uri])


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def did_change_watched_files(
    ls: CompletionServer, params: types.DidChangeWatchedFilesParams
) -> None:
    await _files_changed(ls, [change.uri for change in params.changes])


async def _files_changed(ls: CompletionServer, uris: list[str]) -> None:
    """Re-read changed files into the index off the event loop (disk and database work)."""
    loop = asyncio.get_running_loop()
    for uri in uris:
        await loop.run_in_executor(None, ls.service.file_changed, uri)


@server.feature(FOCUS)
def did_focus(ls: CompletionServer, params: Any) -> None:
    """Warm the prompt of the place the user is at (editors/ send it), in idle time."""
    try:
        uri = params.textDocument.uri
        line, character = int(params.position.line), int(params.position.character)
    except (AttributeError, TypeError, ValueError):
        _log(ls, f"{NAME}: {FOCUS} needs textDocument.uri and position: {params}")
        return
    if ls.service.ready:
        _log(ls, f"{NAME}: {ls.service.focus(uri, line, character)}")


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: CompletionServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.service.close(params.text_document.uri)


async def _suggest(
    ls: CompletionServer, uri: str, position: types.Position, explicit: bool
) -> EditorSuggestion | None:
    """The suggestion at `position`, or None; logs one line saying what happened."""
    # A request the client cancels is not logged: editors cancel the last one at every
    # keystroke, and a line each made four fifths of "Show log" noise.
    answer = await _answer(ls, uri, position, explicit)
    _log(ls, f"{NAME}: {answer.log}")
    _report_health(ls)
    return answer.suggestion


async def _answer(
    ls: CompletionServer, uri: str, position: types.Position, explicit: bool
) -> Answer:
    service = ls.service
    if not service.ready and ls.loading is not None and not ls.loading.done():
        # Opening a project and asking at once: wait for the model, within the time limit.
        limit = service.settings.time_limit_s
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(ls.loading), limit)
    if not service.ready:
        return Answer(None, f"{uri}:{position.line + 1}: the model is not loaded")
    try:
        snapshot = service.snapshot(uri, position.line, position.character, explicit)
    except (PositionError, ValueError) as error:
        return Answer(None, f"no completion at {uri}:{position.line}:{position.character}: {error}")
    if isinstance(snapshot, Answer):
        return snapshot
    if cached := service.from_cache(snapshot):
        service.prepare_after(snapshot, cached)
        return cached
    if (run := snapshot.run) is not None and run.future is not None:
        # The generation of an earlier key writes what the user has typed since: its
        # suggestion, less what was typed, is this request's answer.
        try:
            await asyncio.shield(asyncio.wrap_future(run.future))
        except asyncio.CancelledError:
            service.cancel(snapshot)
            raise
        if cached := service.from_cache(snapshot):
            service.prepare_after(snapshot, cached)
            return Answer(cached.suggestion, f"{cached.log} (continued #{run.number})")
        if not service.is_current(snapshot):
            return Answer(None, f"{snapshot.describe()}: superseded while continuing #{run.number}")
    debounce_ms = service.settings.debounce_ms
    # The debounce holds back requests while keys come fast; the first one on a line (the
    # user has just arrived there) starts at once.
    if not explicit and debounce_ms and not snapshot.new_line:
        await asyncio.sleep(debounce_ms / 1000)
        if not service.is_current(snapshot):
            return Answer(None, f"{snapshot.describe()}: superseded while debouncing")
    try:
        return await asyncio.wrap_future(service.submit(snapshot))
    except asyncio.CancelledError:
        service.cancel(snapshot)  # $/cancelRequest: stop generating at the next token
        raise


def _range(suggestion: EditorSuggestion) -> types.Range:
    """The cursor, or from it over the closers the suggestion replaces (`f(se|)` with
    `lf) -> int:`)."""
    at = types.Position(line=suggestion.line, character=suggestion.character)
    end = suggestion.end_character
    to = at if end is None else types.Position(line=suggestion.line, character=end)
    return types.Range(start=at, end=to)


@server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
async def inline_completion(
    ls: CompletionServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList:
    explicit = params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
    suggestion = await _suggest(ls, params.text_document.uri, params.position, explicit)
    if suggestion is None:
        return types.InlineCompletionList(items=[])
    return types.InlineCompletionList(
        items=[types.InlineCompletionItem(insert_text=suggestion.text, range=_range(suggestion))]
    )


@server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions())
async def completion(ls: CompletionServer, params: types.CompletionParams) -> types.CompletionList:
    explicit = bool(
        params.context and params.context.trigger_kind == types.CompletionTriggerKind.Invoked
    )
    suggestion = await _suggest(ls, params.text_document.uri, params.position, explicit)
    if suggestion is None:
        return types.CompletionList(is_incomplete=True, items=[])
    first_line = suggestion.text.strip().split("\n", 1)[0]
    return types.CompletionList(
        is_incomplete=True,  # typing on asks again: the suggestion depends on every keystroke
        items=[
            types.CompletionItem(
                label=first_line[:60] or suggestion.text[:60],
                kind=types.CompletionItemKind.Snippet,
                detail=NAME,
                text_edit=types.TextEdit(range=_range(suggestion), new_text=suggestion.text),
                sort_text="0",
            )
        ],
    )


@server.feature(types.SHUTDOWN)
def shutdown(ls: CompletionServer, params: Any) -> None:
    ls.service.shutdown()


def _handle(body: bytes) -> None:
    """One message body from the client: decoded and dispatched, or answered with the
    JSON-RPC parse error."""
    try:
        message = json.loads(body, object_hook=server.protocol.structure_message)
    except ValueError as error:  # not JSON, or not UTF-8
        log.error("a message that is not JSON was answered with a parse error: %s", error)
        _reply(framing.parse_error(str(error)))
        return
    except Exception:  # JSON, but not a message pygls can read (a notification's bad params)
        log.exception("a message that could not be read was dropped")
        return
    try:
        server.protocol.handle_message(message)
    except Exception:
        log.exception("unable to handle a message")


def _reply(data: bytes) -> None:
    writer = server.protocol.writer
    if writer is not None:
        writer.write(data)


def serve() -> None:
    """Serve the client on stdin and stdout until it exits (pygls's loop, with our reading of
    the stream: server/framing.py)."""
    stop = threading.Event()
    server._stop_event = stop  # pygls sets it on shutdown
    server.protocol.set_writer(StdoutWriter(sys.stdout.buffer))
    try:
        asyncio.run(framing.read_messages(sys.stdin.buffer, stop.is_set, _handle, _reply))
    except framing.MessageTooLargeError as error:
        log.error("%s", error)
        raise SystemExit(f"codegen-complete serve: {error}") from None
    except BrokenPipeError:
        log.error("the client closed the connection")
    finally:
        # The client may be gone without a `shutdown` (an editor killed): stop the model and
        # the indexer process here too, or a build thread waiting on a paused indexer kept
        # the process alive for good.
        server.service.shutdown()
        server.shutdown()  # type: ignore[no-untyped-call]
