"""The completion service: documents, supersession, cancellation, the typed-prefix cache."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codegen_complete.completion.backend import Continuation
from codegen_complete.completion.completer import Completer
from codegen_complete.completion.suggest import Suggestion, suggest
from codegen_complete.context.enter import indent_after_enter
from codegen_complete.server import service as service_module
from codegen_complete.server.positions import offset_to_utf16, utf16_to_offset
from codegen_complete.server.requests import Answer, Run, Snapshot, why_empty
from codegen_complete.server.service import CompletionService
from codegen_complete.server.settings import Settings, parse_settings

URI = "file:///tmp/notes.txt"
TEXT = "some notes about the plan\nnext "


@pytest.fixture()
def service(tiny_store: Path) -> Iterator[CompletionService]:
    # Plain text, which gets suggestions only where listed: the tiny model writes after it.
    settings = Settings(
        model="tiny-qwen", models_dir=str(tiny_store), enabled_languages=("plaintext", "python")
    )
    service = CompletionService(settings)
    assert service.load() is None
    service.open(URI, TEXT, "plaintext")
    yield service
    service.shutdown()


def request(service: CompletionService, line: int, character: int) -> Snapshot:
    snapshot = service.snapshot(URI, line, character, explicit=True)
    assert isinstance(snapshot, Snapshot)
    return snapshot


def test_a_suggestion_at_the_cursor(service: CompletionService) -> None:
    answer = service.submit(request(service, 1, 5)).result()
    suggestion = answer.suggestion
    assert suggestion is not None and suggestion.text
    assert (suggestion.line, suggestion.character) == (1, 5)
    # One log line says what the request cost.
    assert "prompt" in answer.log and "reused" in answer.log and "stop" in answer.log


def test_a_newer_request_supersedes_an_older_one(service: CompletionService) -> None:
    first = request(service, 1, 5)
    second = request(service, 1, 5)
    assert not service.is_current(first) and service.is_current(second)
    # The superseded request stops before (or at the next token of) generation, and says so.
    answer = service.submit(first).result()
    assert answer.suggestion is None and "superseded" in answer.log


def test_typing_the_suggestion_is_answered_from_the_cache(service: CompletionService) -> None:
    suggestion = service.submit(request(service, 1, 5)).result().suggestion
    assert suggestion is not None and len(suggestion.text) > 1
    typed = suggestion.text[0]
    service.change(URI, [((1, 5, 1, 5), typed)])
    cached = service.from_cache(request(service, 1, 6))
    assert cached is not None and cached.suggestion is not None
    assert cached.suggestion.from_cache
    assert cached.suggestion.text == suggestion.text[1:]


def test_typing_through_keeps_replacing_closers_only_while_they_are_there(
    service: CompletionService,
) -> None:
    """A suggestion that replaces an editor's `)` (`f(|)` + `x) + 1`): typing `x` keeps the
    replacement; typing over the `)` (editors step over their own closer) ends it, and the
    rest goes in at the cursor, not over the next line's start."""
    service.open("file:///tmp/f.py", "y = f()\nz = 2\n", "python")
    service.remembered.last["file:///tmp/f.py"] = ("y = f(", "x) + 1", ")")
    service.change("file:///tmp/f.py", [((0, 6, 0, 6), "x")])
    typed = service.from_cache(service.snapshot("file:///tmp/f.py", 0, 7, explicit=True))
    assert typed is not None and typed.suggestion is not None
    assert (typed.suggestion.text, typed.suggestion.end_character) == (") + 1", 8)
    service.change("file:///tmp/f.py", [((0, 7, 0, 8), ")")])  # over the closer: "y = f(x)"
    stepped = service.from_cache(service.snapshot("file:///tmp/f.py", 0, 8, explicit=True))
    assert stepped is not None and stepped.suggestion is not None
    assert (stepped.suggestion.text, stepped.suggestion.end_character) == (" + 1", None)


def test_typing_along_a_suggestion_into_a_string_keeps_the_rest(
    service: CompletionService,
) -> None:
    """Inside a string the model is not asked, but a suggestion it made before the string
    began still answers: an empty answer there cleared the ghost the user was typing."""
    service.open("file:///tmp/s.py", "y = load()\n", "python")
    service.remembered.last["file:///tmp/s.py"] = ("y = load(", '"data/train.csv", split=1)', ")")
    service.change("file:///tmp/s.py", [((0, 9, 0, 9), '"da')])
    along = service.snapshot("file:///tmp/s.py", 0, 12, explicit=False)
    assert isinstance(along, Answer) and along.suggestion is not None
    assert along.suggestion.text == 'ta/train.csv", split=1)'
    assert "from the last suggestion" in along.log
    service.change("file:///tmp/s.py", [((0, 12, 0, 12), "X")])  # off the suggestion
    skipped = service.snapshot("file:///tmp/s.py", 0, 13, explicit=False)
    assert isinstance(skipped, Answer) and skipped.suggestion is None
    assert "inside a string" in skipped.log


def test_incremental_changes_in_utf16_positions(service: CompletionService) -> None:
    service.open("file:///tmp/e.txt", "a😀b\nline two\n", "plaintext")
    # "😀" is two UTF-16 units: character 3 is after it.
    service.change("file:///tmp/e.txt", [((0, 3, 0, 4), "B"), ((1, 0, 1, 4), "LINE")])
    assert service.documents["file:///tmp/e.txt"].text == "a😀B\nLINE two\n"
    service.change("file:///tmp/e.txt", [(None, "whole new text")])
    assert service.documents["file:///tmp/e.txt"].text == "whole new text"


def test_no_completion_in_a_comment_unless_invoked(service: CompletionService) -> None:
    service.open("file:///tmp/a.py", "x = 1  # note \n", "python")
    skipped = service.snapshot("file:///tmp/a.py", 0, 14, explicit=False)
    assert isinstance(skipped, Answer) and "inside a comment" in skipped.log
    assert isinstance(service.snapshot("file:///tmp/a.py", 0, 14, explicit=True), Snapshot)


def test_unknown_documents_and_positions_past_the_end(service: CompletionService) -> None:
    unknown = service.snapshot("file:///tmp/never-opened.py", 0, 0, explicit=True)
    assert isinstance(unknown, Answer) and unknown.suggestion is None
    # A position past the end (another buffer's stale cursor) gets nothing, not a clamped one.
    for line, character in ((99, 0), (1, 99), (0, 26)):
        past = service.snapshot(URI, line, character, explicit=True)
        assert isinstance(past, Answer) and past.suggestion is None
        assert "past the end" in past.log
    assert request(service, 1, 5).offset == len(TEXT)  # the end itself is a position


def test_closing_cancels_the_running_request(service: CompletionService) -> None:
    snapshot = request(service, 1, 5)
    service.close(URI)
    assert not service.is_current(snapshot)


def test_positions_round_trip() -> None:
    text = "a😀b\nx\n"
    assert utf16_to_offset(text, 0, 3) == 2
    assert offset_to_utf16(text, 2) == (0, 3)
    assert utf16_to_offset(text, 0, 50) == 3  # clamped to the line's end
    assert utf16_to_offset(text, 9, 0) == len(text)


def test_settings_parse_with_messages() -> None:
    settings, errors = parse_settings(
        {"codegenComplete": {"maxLines": 4, "debounceMs": "fast", "colour": "blue"}}
    )
    assert settings.max_lines == 4
    assert settings.debounce_ms == Settings().debounce_ms
    assert len(errors) == 2 and "debounceMs" in errors[0] and "colour" in errors[1]
    assert parse_settings("nonsense")[1]
    assert parse_settings({"codegenComplete": "fast"})[1]


def test_empty_settings_from_a_lua_client_are_no_settings() -> None:
    """Neovim encodes the README's `settings = {}` as an empty list."""
    for raw in ([], {"codegenComplete": []}, {"codegenComplete": {}}, {}):
        assert parse_settings(raw) == (Settings(), []), raw


def test_typing_with_other_files_open_reuses_the_prompt(tiny_store: Path, tmp_path: Path) -> None:
    """The context from other open files opens the prompt; it must not change at each key,
    or every keystroke re-runs the whole prompt."""
    service = CompletionService(
        Settings(model="tiny-qwen", models_dir=str(tiny_store)), roots=[tmp_path]
    )
    assert service.load() is None
    # Similar enough to the lines being typed (Jaccard 3/12 of their identifiers) until the
    # first letter of the argument adds one more identifier.
    helper = "def alpha(value, scale):\n    beta = gamma + delta + epsilon\n"
    (tmp_path / "helpers.py").write_text(helper)
    service.open((tmp_path / "helpers.py").as_uri(), helper, "python")
    uri = (tmp_path / "main.py").as_uri()
    text = "def compute_total(value, scale):\n    result = value * scale\n    return compute_"
    service.open(uri, text, "python")
    reused = []
    for typed in ("1", "(", "v", "a", "l"):
        service.change(uri, [((2, len(text.split("\n")[2]), 2, len(text.split("\n")[2])), typed)])
        text = text + typed
        snapshot = service.snapshot(uri, 2, len(text.split("\n")[2]), explicit=True)
        assert isinstance(snapshot, Snapshot)
        log = service.submit(snapshot).result().log
        assert "context 1 files" in log
        counts = re.search(r"prompt (\d+) tokens \((\d+) reused\)", log)
        assert counts is not None, log
        reused.append((int(counts[1]), int(counts[2])))
    service.shutdown()
    # (The first keys change where token healing cuts the prompt: "compute_1" is a partial
    # word, "compute_1(" is not.)
    for prompt, reuse in reused[2:]:
        assert reuse >= prompt - 4, reused


def test_the_workspace_index_follows_saves(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "a.py").write_text("def load_config(path):\n    return parse_yaml(path)\n")
    service = CompletionService(Settings(), roots=[root])
    lines: list[str] = []
    service.index_workspaces(tmp_path / "cache", lines.append)
    assert any("1 files indexed" in line for line in lines)
    index = service.workspaces.indexes[root.resolve()]
    (root / "b.py").write_text(
        "def save_report(report, target_path):\n    target_path.write_text(report)\n"
    )
    service.file_changed((root / "b.py").as_uri())  # didSave
    assert index.search("save_report(report, target_path)\n")[0].path == "b.py"
    service.open((root / "c.py").as_uri(), "x = 1\n", "python")
    snapshot = service.snapshot((root / "c.py").as_uri(), 0, 5, explicit=True)
    assert isinstance(snapshot, Snapshot) and snapshot.document.index is index
    service.shutdown()


def test_settings_have_sane_bounds() -> None:
    settings, errors = parse_settings(
        {"debounceMs": 10**12, "timeLimit": 1e9, "threads": 10**6, "maxLines": 10**5}
    )
    assert settings == Settings() and len(errors) == 4
    assert "from 0 to 5000" in errors[0] and "up to 120" in errors[1]
    assert parse_settings({"timeLimit": 0.5, "maxLines": 200})[0].max_lines == 200


def test_edits_in_other_open_files_come_first_in_the_context(
    tiny_store: Path, tmp_path: Path
) -> None:
    """The user changed `models.py`, then writes `views.py`: the changed lines are shown."""
    service = CompletionService(
        Settings(model="tiny-qwen", models_dir=str(tiny_store)), roots=[tmp_path]
    )
    assert service.load() is None
    models = "class Order:\n    def __init__(self, items):\n        self.items = items\n"
    models_uri = (tmp_path / "models.py").as_uri()
    service.open(models_uri, models, "python")
    service.change(models_uri, [((2, 26, 2, 26), "\n        self.owner = None")])
    views_uri = (tmp_path / "views.py").as_uri()
    service.open(views_uri, "def show(order):\n    return ", "python")
    snapshot = service.snapshot(views_uri, 1, 11, explicit=True)
    assert isinstance(snapshot, Snapshot)
    assert [(r.path.name, r.first, r.last) for r in snapshot.document.recent_edits] == [
        ("models.py", 2, 3)
    ]
    log = service.submit(snapshot).result().log
    assert "context 1 files" in log, log
    # A client that sends whole texts is followed too; closing forgets the document's edits.
    service.change(views_uri, [(None, "def show(order):\n    return order\n")])
    assert [r.path.name for r in service.edits.regions()] == ["views.py", "models.py"]
    service.close(models_uri)
    assert [r.path.name for r in service.edits.regions()] == ["views.py"]
    service.shutdown()


def _paused_after_first_token(
    service: CompletionService, monkeypatch: pytest.MonkeyPatch
) -> tuple[Snapshot, threading.Event]:
    """A request whose generation has written its first text and waits for `go`."""
    go, wrote = threading.Event(), threading.Event()
    progress = Run.progress

    def paused(run: Run, written: str) -> None:
        progress(run, written)
        if written.strip() and not wrote.is_set():
            wrote.set()
            assert go.wait(30)

    monkeypatch.setattr(Run, "progress", paused)
    first = request(service, 1, 5)
    service.submit(first)
    assert wrote.wait(30)
    return first, go


def test_keys_that_agree_with_the_generation_continue_it(
    service: CompletionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, go = _paused_after_first_token(service, monkeypatch)
    run = service.running(URI)
    assert run is not None
    written = run.written
    service.change(URI, [((1, 5, 1, 5), written[0])])
    # The editor cancels the first request before it asks for the next key.
    service.cancel(first)
    second = request(service, 1, 6)
    assert second.run is run  # waits for the same generation, which goes on
    go.set()
    assert run.future is not None
    answer = run.future.result()
    assert answer.suggestion is None and f"kept for #{second.ticket.number}" in answer.log
    assert "stop cancelled" not in answer.log
    rest = service.from_cache(second)
    assert rest is not None and rest.suggestion is not None
    assert (written[0] + rest.suggestion.text).startswith(written)


def test_a_key_that_disagrees_stops_the_generation(
    service: CompletionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, go = _paused_after_first_token(service, monkeypatch)
    run = service.running(URI)
    assert run is not None
    other = "Z" if not run.written.lstrip().startswith("Z") else "Q"
    service.change(URI, [((1, 5, 1, 5), other)])
    second = request(service, 1, 6)
    assert second.run is None and run.stopped.is_set()
    go.set()
    assert run.future is not None
    answer = run.future.result()
    assert answer.suggestion is None and "superseded" in answer.log
    assert "stop cancelled" in answer.log and service.from_cache(second) is None


def test_the_next_line_is_prepared_while_the_user_reads_the_suggestion(
    service: CompletionService,
) -> None:
    first = request(service, 1, 5)
    suggestion = service.submit(first).result().suggestion
    assert suggestion is not None and suggestion.text and "\n" not in suggestion.text
    service._executor.submit(lambda: None).result()  # the worker's idle work is done
    # The user takes the suggestion and presses Enter (the editor keeps the indentation).
    line = "next " + suggestion.text
    indent = indent_after_enter(line, TEXT, None)
    service.change(URI, [((1, 5, 1, 5), suggestion.text + "\n" + indent)])
    arrived = request(service, 2, len(indent))
    prepared = service.from_cache(arrived)
    assert prepared is not None and prepared.suggestion is not None
    assert "prepared" in prepared.log
    # It is what the model answers there when asked.
    fresh = service.submit(request(service, 2, len(indent))).result().suggestion
    assert fresh is not None and fresh.text == prepared.suggestion.text


def test_the_first_request_on_a_line_is_marked_new(service: CompletionService) -> None:
    """The debounce holds back requests while the user types on; the first one on a line
    (just arrived there) is not held back."""
    assert request(service, 1, 5).new_line
    service.change(URI, [((1, 5, 1, 5), "x")])
    assert not request(service, 1, 6).new_line
    assert request(service, 0, 4).new_line


def test_at_the_end_of_a_finished_line_the_next_one_is_prepared(
    service: CompletionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tiny model's random bytes are never valid Python: post-processing would drop its
    # every line. The model runs; its text is replaced by a line that survives.
    def valid(*args: Any, **kwargs: Any) -> Any:
        return dataclasses.replace(suggest(*args, **kwargs), text="print(values)")

    monkeypatch.setattr(service_module, "suggest", valid)
    uri = "file:///tmp/values.py"
    service.open(uri, "values = [1, 2]\nprint(values)\n", "python")
    finished = service.snapshot(uri, 1, 13, explicit=False)
    assert isinstance(finished, Answer) and "the line is finished" in finished.log
    service._executor.submit(lambda: None).result()  # the worker's idle work is done
    # Enter: the prepared line answers at once.
    service.change(uri, [((1, 13, 1, 13), "\n")])
    arrived = service.snapshot(uri, 2, 0, explicit=False)
    assert isinstance(arrived, Snapshot)
    prepared = service.from_cache(arrived)
    assert prepared is not None and "prepared" in prepared.log
    assert prepared.suggestion is not None and prepared.suggestion.text == "print(values)"


def test_a_line_with_nothing_to_suggest_is_prepared_once(
    service: CompletionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the model has nothing for the next line, asking again for it (every key typed
    along a suggestion does) does not run the model there again."""
    prepared_at: list[int] = []

    def nothing(*args: Any, **kwargs: Any) -> Any:
        prepared_at.append(args[1].offset)
        return dataclasses.replace(suggest(*args, **kwargs), text="")

    monkeypatch.setattr(service_module, "suggest", nothing)
    uri = "file:///tmp/values.py"
    service.open(uri, "values = [1, 2]\nprint(values)\n", "python")
    for _ in range(3):
        finished = service.snapshot(uri, 1, 13, explicit=False)
        assert isinstance(finished, Answer) and "the line is finished" in finished.log
        service._executor.submit(lambda: None).result()  # the worker's idle work is done
    assert len(prepared_at) == 1, prepared_at
    # Enter: no suggestion prepared, so the model is asked there.
    service.change(uri, [((1, 13, 1, 13), "\n")])
    arrived = service.snapshot(uri, 2, 0, explicit=False)
    assert isinstance(arrived, Snapshot) and service.from_cache(arrived) is None


def test_enter_while_the_next_line_is_prepared_waits_for_it(
    service: CompletionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found on the typing benchmark (writing on, a key every 150 ms): Enter came while the
    next line was being prepared, the preparation gave way to Enter's request, and that
    request ran the model again from the start. Now the request at the prepared place waits
    for the preparation and answers from it; the model runs once."""
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []
    gave_way: list[bool] = []

    def slow(completer: Any, document: Any, options: Any, cancelled: Any, *rest: Any) -> Any:
        calls.append(document.offset)
        if len(calls) == 1:  # the preparation: Enter arrives while it runs
            started.set()
            release.wait(10)
            gave_way.append(cancelled())
        result = suggest(completer, document, options, cancelled, *rest)
        return dataclasses.replace(result, text="print(values)")

    monkeypatch.setattr(service_module, "suggest", slow)
    uri = "file:///tmp/values.py"
    service.open(uri, "values = [1, 2]\nprint(values)\n", "python")
    finished = service.snapshot(uri, 1, 13, explicit=False)
    assert isinstance(finished, Answer) and "the line is finished" in finished.log
    assert started.wait(10)
    service.change(uri, [((1, 13, 1, 13), "\n")])
    arrived = service.snapshot(uri, 2, 0, explicit=False)
    assert isinstance(arrived, Snapshot) and service.from_cache(arrived) is None
    waiting = service.submit(arrived)
    release.set()
    answer = waiting.result(timeout=30)
    assert gave_way == [False]
    assert answer.suggestion is not None and answer.suggestion.text == "print(values)"
    # The model ran once at that place (a later call prepares the line after it).
    assert "prepared" in answer.log and calls.count(arrived.offset) == 1, (answer.log, calls)


def test_a_preparation_elsewhere_still_gives_way_to_a_waiting_request(
    service: CompletionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the preparation of the very place a request waits at may keep it waiting: one
    for another file, queued before that request, gives way to it (it does not run the model
    at all)."""
    started, release = threading.Event(), threading.Event()
    gave_way: dict[str, bool] = {}

    def slow(completer: Any, document: Any, options: Any, cancelled: Any, *rest: Any) -> Any:
        if not gave_way and not started.is_set():  # the first preparation: Enter comes
            started.set()
            release.wait(10)
        gave_way.setdefault(document.text.split("\n", 1)[0], cancelled())
        result = suggest(completer, document, options, cancelled, *rest)
        return dataclasses.replace(result, text="print(values)")

    monkeypatch.setattr(service_module, "suggest", slow)
    here, other = "file:///tmp/values.py", "file:///tmp/other.py"
    service.open(here, "values = [1, 2]\nprint(values)\n", "python")
    service.open(other, "others = [3]\nprint(others)\n", "python")
    assert isinstance(service.snapshot(here, 1, 13, explicit=False), Answer)
    assert started.wait(10)
    # Another file's finished line: its preparation is queued behind the running one.
    assert isinstance(service.snapshot(other, 1, 13, explicit=False), Answer)
    service.change(here, [((1, 13, 1, 13), "\n")])
    arrived = service.snapshot(here, 2, 0, explicit=False)
    assert isinstance(arrived, Snapshot)
    waiting = service.submit(arrived)
    release.set()
    waiting.result(timeout=30)
    assert gave_way == {"values = [1, 2]": False}


def test_prose_and_data_get_no_suggestions_unless_listed(tiny_store: Path) -> None:
    """Found in real use: Markdown got prose suggestions (45 tokens). Prose and data are
    skipped by default, whatever the client calls them; listed, they are served."""
    service = CompletionService(Settings(model="tiny-qwen", models_dir=str(tiny_store)))
    try:
        for uri, language in [
            ("file:///tmp/README.md", "markdown"),
            ("file:///tmp/notes.txt", "plaintext"),
            ("file:///tmp/notes.txt", "text"),  # Neovim's name for it
            ("file:///tmp/settings.json", "json"),
            ("file:///tmp/CHANGES.md", None),  # no id: the extension says
        ]:
            service.open(uri, "Some words about the plan\nnext ", language)
            answer = service.snapshot(uri, 1, 5, explicit=False)
            assert isinstance(answer, Answer) and "prose or data" in answer.log, answer
        service.open("file:///tmp/app.py", "x = 1\ny = ", "python")
        assert isinstance(service.snapshot("file:///tmp/app.py", 1, 4, explicit=False), Snapshot)
        service.settings = Settings(enabled_languages=("markdown",))
        service.open("file:///tmp/README.md", "# Plan\nnext ", "markdown")
        assert isinstance(service.snapshot("file:///tmp/README.md", 1, 5, False), Snapshot)
    finally:
        service.shutdown()


def test_the_log_says_what_post_processing_dropped() -> None:
    """Found at new blank lines in real files: the model's line was the line below the cursor,
    rightly dropped as a repeat; the log now shows it, so "dropped" can be told apart."""
    generated = Continuation("    if isinstance(raw, str):\n", 8, "caller", 178, 3, 309.0, 44.0)
    dropped = Suggestion("", "single-line", (), generated, (), "", 0, 2.0, True, 463.0)
    assert why_empty(dropped, generated) == (
        "post-processing dropped it: '    if isinstance(raw, str):\\n'"
    )
    long_line = dataclasses.replace(generated, text="x = " + "1 + " * 30)
    assert why_empty(dropped, long_line).endswith("+ 1...'")
    assert len(why_empty(dropped, long_line)) < 100
    silent = dataclasses.replace(generated, text="\n")
    assert why_empty(dropped, silent) == "the model wrote nothing"


def test_moving_on_stops_the_warming_of_the_place_left(
    service: CompletionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cursor rests on one line, then another: the first place's warming stops there
    (it took seconds, and the place the user is at waited behind it)."""
    real_warm = service_module.warm
    entered, go_on = threading.Event(), threading.Event()
    stopped: list[bool] = []  # whether each warming was told to stop as it began

    def warming(*args: Any) -> None:
        if not entered.is_set():
            entered.set()
            go_on.wait(10)
        cancelled = args[3]
        stopped.append(cancelled())
        real_warm(*args)

    monkeypatch.setattr(service_module, "warm", warming)
    service.focus(URI, 0, 4)
    assert entered.wait(10)
    service.focus(URI, 1, 2)  # the user moved on while the first place was warming
    go_on.set()
    service._executor.submit(lambda: None).result()  # after both warmings, on the worker
    assert stopped == [True, False]


def test_typing_along_a_suggestion_warms_the_full_prompt(service: CompletionService) -> None:
    """Found on the typing benchmark, writing on: a key came every ~170 ms, so the idle
    work after each of the model's answers found the next key's request waiting and gave
    way; the keys typed along the suggestion after it were answered from the cache, the
    worker idle, and nothing warmed then. Every line was written with the small prompt,
    without context. Now an answer from the cache queues the warming too."""
    uri = "file:///tmp/plan.txt"
    source = "".join(f"note {i} about the plan, step {i * 3}\n" for i in range(120))
    service.open(uri, source + "next ", "plaintext")
    end = (120, len("next "))
    # The next key's request is waiting while the answer's idle work runs.
    service._waiting.arrived(("elsewhere", "", 0))
    first = service.snapshot(uri, *end, explicit=True)
    assert isinstance(first, Snapshot)
    answer = service.submit(first).result()
    assert "small prefill" in answer.log  # a new place: the small prompt first
    service._executor.submit(lambda: None).result()  # the idle work gave way
    service._waiting.started(False)
    suggestion = answer.suggestion
    assert suggestion is not None and len(suggestion.text) > 1
    # The user types the suggestion's first character: answered from the cache.
    service.change(uri, [((*end, *end), suggestion.text[0])])
    typed = service.snapshot(uri, end[0], end[1] + 1, explicit=False)
    assert isinstance(typed, Snapshot)
    cached = service.from_cache(typed)
    assert cached is not None and cached.suggestion is not None
    service.idle_work_after(typed, cached)
    service._executor.submit(lambda: None).result()  # the worker's idle work is done
    asked = service.snapshot(uri, end[0], end[1] + 1, explicit=True)
    assert isinstance(asked, Snapshot)
    again = service.submit(asked).result()
    assert "prefill" in again.log and "small prefill" not in again.log, again.log


def test_a_request_cancelled_while_it_waits_leaves_the_worker_idle(
    service: CompletionService,
) -> None:
    """The client cancels a request that still waits for the worker (the user typed on): the
    asyncio future wrapping it cancels the worker's future, and `_answer` never runs. It was
    still counted as waiting and as work in progress, for good: every idle-time job (warming,
    preparing the next line) gave way from then on, and the indexer stayed paused (found in
    the typing benchmark's server logs: idle warming found a request waiting every time)."""
    release = threading.Event()
    blocker = service._executor.submit(release.wait, 10)  # the worker is busy
    queued = service.submit(request(service, 1, 5))
    assert service._waiting.busy()
    assert queued.cancel()  # what asyncio.wrap_future does when the LSP request is cancelled
    release.set()
    blocker.result()
    service._executor.submit(lambda: None).result()
    assert not service._waiting.busy()
    assert service._executor.quiet_for() > 0


def test_moving_on_stops_the_idle_warming_of_the_place_left(
    service: CompletionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an answer the worker warms that place's full prompt (seconds); the user jumps
    elsewhere first: that warming stops, as the warming of a rest does, instead of holding
    up the new place."""
    told_to_stop: list[bool] = []
    monkeypatch.setattr(Completer, "warm", lambda self, cancelled: told_to_stop.append(cancelled()))
    first, second = threading.Event(), threading.Event()
    service._executor.submit(first.wait, 10)
    answered = service.submit(request(service, 1, 5))
    service._executor.submit(second.wait, 10)  # the answer's idle work queues after this
    first.set()
    answered.result()
    service.focus(URI, 0, 4)  # the user moved on before the idle work ran
    second.set()
    service._executor.submit(lambda: None).result()
    assert told_to_stop == [True]
