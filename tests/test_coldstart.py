"""A new place starts with a small prompt; idle time warms the full one, and the next
keystroke there uses it at the cost of the typed tokens only."""

from __future__ import annotations

import dataclasses

import pytest

from codegen_complete.completion.completer import Completer, CompletionRequest
from codegen_complete.completion.engine import Engine
from codegen_complete.completion.options import DEFAULTS, Options
from codegen_complete.context.classify import Mode
from codegen_complete.context.snippets import Snippet
from codegen_complete.models.load import load_model
from codegen_complete.models.store import InstalledModel

SOURCE = "".join(f"value_{i} = compute({i}, {i * 3})\n" for i in range(60))
OPTIONS = dataclasses.replace(DEFAULTS, cold_prompt_tokens=48, max_new_tokens=4)


@pytest.fixture()
def completer(tiny_model: InstalledModel) -> Completer:
    return load_model(tiny_model, threads=1)


def request(
    before: str, after: str, context: tuple[Snippet, ...] = (), path: str = "a.py",
    options: Options = OPTIONS,
) -> CompletionRequest:  # fmt: skip
    return CompletionRequest(
        before, after, Mode.SINGLE_LINE, options, deadline=None, context=context, path=path
    )


def snippet(path: str, name: str) -> Snippet:
    body = "".join(f"    {name}_{i} = {name}({i}) + {i * 7}\n" for i in range(12))
    return Snippet(path, f"def {name}(value):\n{body}    return value\n")


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


def test_a_jump_keeps_the_cached_context_of_the_last_place(completer: Completer) -> None:
    here, there = (snippet("lib/shapes.py", "area"),), (snippet("lib/colors.py", "blend"),)
    a, b = SOURCE.index("value_10"), SOURCE.index("value_50")
    first = completer.complete(request(SOURCE[:a] + "x = ", SOURCE[a:], here))
    assert first.small_prompt and first.context == ()  # nothing cached: no context at all
    completer.warm(lambda: False)  # the user paused there: its full prompt is cached
    # At a new place whose own context is not cached, the last place's is: it stays, and
    # only the window around the cursor is new.
    jumped = completer.complete(request(SOURCE[:b] + "y = ", SOURCE[b:], there))
    assert jumped.small_prompt and jumped.context == here
    generated = jumped.continuation
    assert generated.prompt_tokens - generated.reused_tokens <= 48 + 32
    # Once the full prompt there is warm, its own context is used.
    completer.warm(lambda: False)
    settled = completer.complete(request(SOURCE[:b] + "y = 5", SOURCE[b:], there))
    assert not settled.small_prompt and settled.context == there
    # In another file neither is shown: they were chosen for this one.
    elsewhere = completer.complete(request(SOURCE[:a] + "x = ", SOURCE[a:], (), "b.py"))
    assert elsewhere.small_prompt and elsewhere.context == ()


def test_a_line_prepared_ahead_is_warmed_after_the_place_the_user_is_at(
    completer: Completer,
) -> None:
    cursor = SOURCE.index("value_30")
    before, after = SOURCE[:cursor] + "z = ", SOURCE[cursor:]
    assert completer.complete(request(before, after)).small_prompt
    with completer.keeping_warm():  # idle time prepares the line after this one
        assert completer.complete(request(before + "compute(1)\n", after)).small_prompt
    completer.warm(lambda: False)
    here = completer.complete(request(before + "c", after))
    assert not here.small_prompt
    assert here.continuation.reused_tokens >= here.continuation.prompt_tokens - 4
    ahead = completer.complete(request(before + "compute(1)\nv", after))
    assert not ahead.small_prompt


def test_a_short_rest_at_a_place_warms_the_small_prompt_its_first_request_gets(
    completer: Completer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user rests on a line (the editor's didFocus) about as long as the small prompt
    takes to run, then empties it and types: that first request finds the small prompt
    cached, where warming the full prompt would have run only its first context file."""
    engine = completer.backend.engine  # type: ignore[attr-defined]
    ran: list[int] = []
    run = engine._run_unless  # every pass goes through it

    def counting(tokens: list[int], positions: int, stop: object) -> object:
        ran.append(len(tokens))
        return run(tokens, positions, stop)

    monkeypatch.setattr(engine, "_run_unless", counting)
    context = (snippet("lib/shapes.py", "area"), snippet("lib/colors.py", "blend"))
    # A window long enough to be kept beside the full prompt in the cache (a real one is
    # 256 tokens).
    options = dataclasses.replace(OPTIONS, cold_prompt_tokens=320)
    line_start = SOURCE.index("value_40")
    line_end = SOURCE.index("\n", line_start)
    resting = request(SOURCE[:line_end], SOURCE[line_end:], context, options=options)
    # The rest lasts as long as the engine takes to run 352 tokens.
    completer.warm_for(resting, cancelled=lambda: sum(ran) >= 352)
    emptied = request(SOURCE[:line_start], SOURCE[line_end:], context, options=options)
    first = completer.complete(emptied)
    assert first.small_prompt
    generated = first.continuation
    # Only the line's own few tokens are new.
    assert generated.prompt_tokens - generated.reused_tokens <= 8


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
