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
from typing import Any

from lsprotocol import types
from pygls.io_ import StdoutWriter

from codegen_complete.server import framing
from codegen_complete.server.languageserver import (
    NAME,
    CompletionServer,
    index_workspaces,
    log_message,
    report_health,
    report_settings,
    roots,
    start_loading,
)
from codegen_complete.server.positions import PositionError, path_of
from codegen_complete.server.requests import Answer, EditorSuggestion
from codegen_complete.server.service import CompletionService
from codegen_complete.server.settings import parse_settings

log = logging.getLogger(__name__)
# From the clients: the user is at a place (a buffer focused, the cursor moved there) and has
# not typed yet; params {textDocument: {uri}, position: {line, character}}.
FOCUS = "codegenComplete/didFocus"

server = CompletionServer()


@server.feature(types.INITIALIZE)
def initialize(ls: CompletionServer, params: types.InitializeParams) -> None:
    settings, errors = parse_settings(params.initialization_options)
    ls.service = CompletionService(settings, roots(params))
    report_settings(ls, errors)


@server.feature(types.INITIALIZED)
async def initialized(ls: CompletionServer, params: types.InitializedParams) -> None:
    indexing = asyncio.ensure_future(index_workspaces(ls))
    # Cancelled only when the server exits mid-way (the client gone): not an error to print.
    with contextlib.suppress(asyncio.CancelledError):
        await start_loading(ls)
        await indexing


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: CompletionServer, params: types.DidChangeConfigurationParams
) -> None:
    previous = ls.service.settings
    settings, errors = parse_settings(params.settings, previous)
    report_settings(ls, errors)
    ls.service.settings = settings
    if settings.engine_settings != previous.engine_settings:
        await start_loading(ls)


@server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
async def did_change_workspace_folders(
    ls: CompletionServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    """A client with one server for all its projects (the Neovim plugin) adds a folder when
    a file of another project is opened: it gets its own context and index."""
    for folder in params.event.removed:
        if (path := path_of(folder.uri)) is not None:
            ls.service.workspaces.remove(path)
    added = [
        path
        for folder in params.event.added
        if (path := path_of(folder.uri)) is not None and ls.service.workspaces.add(path)
    ]
    if added:
        log_message(ls, f"{NAME}: workspace folders added: {', '.join(map(str, added))}")
        with contextlib.suppress(asyncio.CancelledError):
            await index_workspaces(ls, added)


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
        log_message(ls, f"{NAME}: ignoring a change to {params.text_document.uri}: {error}")


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
        log_message(ls, f"{NAME}: {FOCUS} needs textDocument.uri and position: {params}")
        return
    if ls.service.ready:
        log_message(ls, f"{NAME}: {ls.service.focus(uri, line, character)}", detail=True)


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
    log_message(ls, f"{NAME}: {answer.log}", detail=True)
    report_health(ls)
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
        service.idle_work_after(snapshot, cached)
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
            service.idle_work_after(snapshot, cached)
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
    # An editor cancels the request of the key before at each key, often after its answer has
    # gone: routine, yet pygls warns on stderr, which VS Code shows as an error each time.
    logging.getLogger("pygls.protocol.json_rpc").addFilter(
        lambda record: not record.getMessage().startswith("Cancel notification for unknown")
    )
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
