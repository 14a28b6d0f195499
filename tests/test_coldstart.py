"""A new place starts with a small prompt; idle time warms the full one, and the next
keystroke there uses it at the cost of the typed tokens only."""

from __future__ import annotations

import dataclasses

import pytest

from codegen_complete.completion.completer import Completer, CompletionRequest
from codegen_complete.completion.engine import Engine
from codegen_complete.completion.options import DEFAULTS
from codegen_complete.context.classify import Mode
from codegen_complete.models.load import load_model
from codegen_complete.models.store import InstalledModel

SOURCE = "".join(f"value_{i} = compute({i}, {i * 3})\n" for i in range(60))
OPTIONS = dataclasses.replace(DEFAULTS, cold_prompt_tokens=48, max_new_tokens=4)


@pytest.fixture()
def completer(tiny_model: InstalledModel) -> Completer:
    return load_model(tiny_model, threads=1)


def request(before: str, after: str) -> CompletionRequest:
    return CompletionRequest(before, after, Mode.SINGLE_LINE, OPTIONS, deadline=None)


def test_a_new_place_gets_a_small_prompt_then_the_warmed_full_one(completer: Completer) -> None:
    cursor = SOURCE.index("value_40")
    before, after = SOURCE[:cursor] + "x = ", SOURCE[cursor:]
    first = completer.complete(request(before, after))
    assert first.small_prompt and first.continuation.prompt_tokens <= 60
    completer.warm(lambda: False)
    second = completer.complete(request(before + "1", after))
    assert not second.small_prompt
    assert second.continuation.prompt_tokens > 200  # the full windows
    assert second.continuation.reused_tokens >= second.continuation.prompt_tokens - 4


def test_without_idle_time_typing_goes_on_with_the_small_prompt(completer: Completer) -> None:
    cursor = SOURCE.index("value_20")
    before, after = SOURCE[:cursor] + "y = ", SOURCE[cursor:]
    completer.complete(request(before, after))
    again = completer.complete(request(before + "2", after))
    assert again.small_prompt
    assert again.continuation.reused_tokens >= again.continuation.prompt_tokens - 4


def test_one_shot_callers_get_the_full_prompt(completer: Completer) -> None:
    options = dataclasses.replace(OPTIONS, cold_prompt_tokens=None)
    result = completer.complete(
        CompletionRequest(SOURCE[:400], SOURCE[400:], Mode.SINGLE_LINE, options, deadline=None)
    )
    assert not result.small_prompt and result.continuation.prompt_tokens > 200


def test_warming_stops_when_a_request_comes(tiny_model: InstalledModel) -> None:
    engine = Engine(tiny_model.path, threads=1)
    prompt = [10 + i % 300 for i in range(600)]
    assert not engine.warm(prompt, cancelled=lambda: True)
    assert engine.cached_length(prompt) < 600
    assert engine.warm(prompt, cancelled=lambda: False)
    assert engine.cached_length(prompt) == 600
    generation = engine.generate(prompt, max_new_tokens=2, stop_tokens=frozenset())
    assert generation.reused_tokens == 599  # the last token runs again for its logits
