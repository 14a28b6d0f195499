"""The completion service: documents, supersession, cancellation, the typed-prefix cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codegen_complete.server.positions import offset_to_utf16, utf16_to_offset
from codegen_complete.server.service import CompletionService
from codegen_complete.server.settings import Settings, parse_settings

URI = "file:///tmp/notes.txt"
TEXT = "some notes about the plan\nnext "


@pytest.fixture()
def service(tiny_store: Path) -> Iterator[CompletionService]:
    service = CompletionService(Settings(model="tiny-qwen", models_dir=str(tiny_store)))
    assert service.load() is None
    service.open(URI, TEXT, "plaintext", 1)
    yield service
    service.shutdown()


def test_a_suggestion_at_the_cursor(service: CompletionService) -> None:
    snapshot = service.snapshot(URI, 1, 5, explicit=True)
    assert snapshot is not None
    suggestion = service.submit(snapshot).result()
    assert suggestion is not None and suggestion.text
    assert (suggestion.line, suggestion.character) == (1, 5)


def test_a_newer_request_supersedes_an_older_one(service: CompletionService) -> None:
    first = service.snapshot(URI, 1, 5, explicit=True)
    second = service.snapshot(URI, 1, 5, explicit=True)
    assert first is not None and second is not None
    assert not service.is_current(first) and service.is_current(second)
    assert service.stats["superseded"] == 1
    # The superseded request stops before (or at the next token of) generation.
    assert service._complete(first, lambda: True) is None


def test_typing_the_suggestion_is_answered_from_the_cache(service: CompletionService) -> None:
    snapshot = service.snapshot(URI, 1, 5, explicit=True)
    assert snapshot is not None
    suggestion = service.submit(snapshot).result()
    assert suggestion is not None and len(suggestion.text) > 1
    typed = suggestion.text[0]
    service.change(URI, [((1, 5, 1, 5), typed)], 2)
    again = service.snapshot(URI, 1, 6, explicit=True)
    assert again is not None
    cached = service.from_cache(again)
    assert cached is not None and cached.from_cache
    assert cached.text == suggestion.text[1:]


def test_incremental_changes_in_utf16_positions(service: CompletionService) -> None:
    service.open("file:///tmp/e.txt", "a😀b\nline two\n", "plaintext", 1)
    # "😀" is two UTF-16 units: character 3 is after it.
    service.change("file:///tmp/e.txt", [((0, 3, 0, 4), "B"), ((1, 0, 1, 4), "LINE")], 2)
    assert service.documents["file:///tmp/e.txt"].text == "a😀B\nLINE two\n"
    service.change("file:///tmp/e.txt", [(None, "whole new text")], 3)
    assert service.documents["file:///tmp/e.txt"].text == "whole new text"


def test_no_completion_in_a_comment_unless_invoked(service: CompletionService) -> None:
    service.open("file:///tmp/a.py", "x = 1  # note \n", "python", 1)
    assert service.snapshot("file:///tmp/a.py", 0, 14, explicit=False) is None
    assert service.snapshot("file:///tmp/a.py", 0, 14, explicit=True) is not None


def test_unknown_documents_and_positions_past_the_end(service: CompletionService) -> None:
    assert service.snapshot("file:///tmp/never-opened.py", 0, 0, explicit=True) is None
    snapshot = service.snapshot(URI, 99, 99, explicit=True)
    assert snapshot is not None and snapshot.offset == len(TEXT)


def test_closing_cancels_the_running_request(service: CompletionService) -> None:
    snapshot = service.snapshot(URI, 1, 5, explicit=True)
    assert snapshot is not None
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
