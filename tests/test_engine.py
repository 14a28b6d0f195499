"""The decode loop on a real (tiny, random-weight) ONNX model exported by the installer."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Callable

import numpy as np
import pytest

from codegen_complete.completion import engine as engine_module
from codegen_complete.completion.engine import (
    PREFILL_CHUNK,
    Detour,
    Engine,
    draft_from_context,
)
from codegen_complete.completion.kvcache import INITIAL_CAPACITY
from codegen_complete.models.store import InstalledModel

NO_STOP: frozenset[int] = frozenset()


@pytest.fixture()
def engine(tiny_model: InstalledModel) -> Engine:
    return Engine(tiny_model.path, threads=1)


def prompt_of(length: int, offset: int = 0) -> list[int]:
    # Tokens above the 9 special ids of the tiny tokenizer.
    return [10 + (offset + 7 * i) % 300 for i in range(length)]


def cold(engine: Engine, prompt: list[int], max_new_tokens: int = 12) -> list[int]:
    engine.forget()
    return engine.generate(prompt, max_new_tokens=max_new_tokens, stop_tokens=NO_STOP).tokens


def test_reuse_gives_exactly_the_tokens_of_a_cold_run(engine: Engine) -> None:
    base = prompt_of(40)
    # Each request is an edit of the previous one, as typing makes them.
    requests = [
        base,
        [*base, 123],  # a keystroke appended
        [*base, 123, 45, 67],  # more typing
        [*base, 123],  # backspace twice
        [*base[:20], 99, *base[21:]],  # an edit in the middle
        base[:5],  # most of the prompt deleted
        base + prompt_of(3 * PREFILL_CHUNK, offset=1),  # a prompt longer than several chunks
    ]
    expected = [cold(engine, request) for request in requests]
    engine.forget()
    for request, tokens in zip(requests, expected, strict=True):
        generation = engine.generate(request, max_new_tokens=12, stop_tokens=NO_STOP)
        assert generation.tokens == tokens
    # The keystroke requests really did reuse the cache.
    engine.forget()
    engine.generate(base, max_new_tokens=4, stop_tokens=NO_STOP)
    again = engine.generate([*base, 123], max_new_tokens=4, stop_tokens=NO_STOP)
    assert again.reused_tokens == len(base)


def test_continuing_from_a_generated_token_reuses_its_cache(engine: Engine) -> None:
    prompt = prompt_of(30)
    first = engine.generate(prompt, max_new_tokens=8, stop_tokens=NO_STOP)
    # The user accepts the first token: the next request continues where generation went.
    follow = engine.generate([*prompt, first.tokens[0]], max_new_tokens=7, stop_tokens=NO_STOP)
    assert follow.tokens == first.tokens[1:]
    assert follow.reused_tokens == len(prompt)


def test_a_detour_takes_the_next_best_first_token(engine: Engine) -> None:
    """Where the model's greedy tokens went wrong: those before kept in the prompt, the
    wrong one banned, the model's next best instead; after it the model chooses greedily."""
    prompt = prompt_of(30)
    greedy = cold(engine, prompt, max_new_tokens=10)
    kept = [*prompt, *greedy[:3]]
    detour = engine.generate(
        kept, max_new_tokens=7, stop_tokens=NO_STOP, constraint=Detour(greedy[3])
    ).tokens
    assert detour[0] != greedy[3]
    assert detour[1:] == cold(engine, [*kept, detour[0]], max_new_tokens=6)


def test_stops_at_a_stop_token_and_leaves_it_out(engine: Engine) -> None:
    prompt = prompt_of(25)
    tokens = cold(engine, prompt, max_new_tokens=10)
    stop = tokens[4]
    first_stop = tokens.index(stop)
    generation = engine.generate(prompt, max_new_tokens=10, stop_tokens=frozenset({stop}))
    assert generation.tokens == tokens[:first_stop]
    assert generation.stop_reason == "stop_token"


def test_max_tokens_caps_the_output(engine: Engine) -> None:
    generation = engine.generate(prompt_of(10), max_new_tokens=3, stop_tokens=NO_STOP)
    assert len(generation.tokens) == 3
    assert generation.stop_reason == "max_tokens"


def test_cancel_flag_is_checked_between_tokens(engine: Engine) -> None:
    checks = 0

    def cancelled() -> bool:
        nonlocal checks
        checks += 1
        return checks > 3  # let prefill and two decode steps through

    generation = engine.generate(
        prompt_of(10), max_new_tokens=50, stop_tokens=NO_STOP, cancelled=cancelled
    )
    assert generation.stop_reason == "cancelled"
    assert 0 < len(generation.tokens) < 50


def test_cancelled_before_start_generates_nothing(engine: Engine) -> None:
    generation = engine.generate(
        prompt_of(10), max_new_tokens=5, stop_tokens=NO_STOP, cancelled=lambda: True
    )
    assert generation.tokens == []
    assert generation.stop_reason == "cancelled"


def test_time_limit_stops_generation(engine: Engine) -> None:
    generation = engine.generate(
        prompt_of(10), max_new_tokens=50, stop_tokens=NO_STOP, deadline=time.perf_counter()
    )
    assert generation.stop_reason == "time_limit"
    assert len(generation.tokens) <= 1


def test_caller_can_stop_generation(engine: Engine) -> None:
    generation = engine.generate(
        prompt_of(10),
        max_new_tokens=50,
        stop_tokens=NO_STOP,
        should_stop=lambda tokens: len(tokens) == 4,
    )
    assert len(generation.tokens) == 4
    assert generation.stop_reason == "caller"


def test_empty_prompt_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="empty"):
        engine.generate([], max_new_tokens=5, stop_tokens=NO_STOP)


def test_completion_path_imports_neither_torch_nor_transformers(tiny_store: object) -> None:
    code = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from codegen_complete.server.cli import main
        code = main(["{__file__}:1", "--model", "tiny-qwen", "--models-dir", "{tiny_store}",
                     "--max-tokens", "3"])
        assert code == 0, code
        loaded = sorted(name for name in ("torch", "transformers", "onnxruntime_genai")
                        if name in sys.modules)
        print("LOADED", loaded)
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout


def test_cache_grows_past_its_initial_capacity(engine: Engine) -> None:
    long_prompt = prompt_of(INITIAL_CAPACITY + 100)
    expected = cold(engine, long_prompt, max_new_tokens=4)
    engine.forget()
    engine.generate(long_prompt[:300], max_new_tokens=2, stop_tokens=NO_STOP)
    grown = engine.generate(long_prompt, max_new_tokens=4, stop_tokens=NO_STOP)
    assert grown.reused_tokens == 300
    assert grown.tokens == expected


def test_draft_copies_what_followed_the_latest_earlier_match() -> None:
    context = [1, 2, 3, 4, 5, 6, 9, 2, 3, 4, 7, 8, 0, 2, 3, 4]
    # The tail (2, 3, 4) occurred last at index 7, followed by 7, 8.
    assert draft_from_context(context, 2) == [7, 8]
    # A longer match wins over a more recent shorter one.
    assert draft_from_context([*context[:-4], 1, 2, 3, 4], 2) == [5, 6]
    assert len(draft_from_context(context, 10)) <= engine_module.DRAFT_TOKENS
    assert draft_from_context(context, 0) == []
    assert draft_from_context([1, 2, 3, 4], 5) == []  # nothing recurs


def test_speculation_gives_exactly_the_tokens_of_plain_greedy(
    tiny_model: InstalledModel,
) -> None:
    plain = Engine(tiny_model.path, threads=1, speculate=False)
    fast = Engine(tiny_model.path, threads=1, speculate=True)
    assert fast.speculate, "the installer's export should accept num_logits_to_keep"
    # Repetitive prompts, so that drafts are found and some are accepted.
    for prompt in (prompt_of(60) * 3, [*prompt_of(20), *prompt_of(20, offset=5)] * 4):
        expected = plain.generate(prompt, max_new_tokens=40, stop_tokens=NO_STOP)
        drafted = fast.generate(prompt, max_new_tokens=40, stop_tokens=NO_STOP)
        assert drafted.tokens == expected.tokens
        # And the cache left behind serves the next request exactly.
        again = fast.generate(
            [*prompt, *expected.tokens[:5]], max_new_tokens=10, stop_tokens=NO_STOP
        )
        assert again.tokens == expected.tokens[5:15]


def test_right_drafts_verify_several_tokens_per_pass(
    tiny_model: InstalledModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompt = prompt_of(30)
    plain = Engine(tiny_model.path, threads=1, speculate=False)
    expected = plain.generate(prompt, max_new_tokens=60, stop_tokens=NO_STOP).tokens

    def oracle(context: list[int], limit: int) -> list[int]:
        done = len(context) - len(prompt)
        return expected[done : done + min(limit, engine_module.DRAFT_TOKENS)]

    monkeypatch.setattr(engine_module, "draft_from_context", oracle)
    engine = Engine(tiny_model.path, threads=1)
    passes = 0
    run = engine._run_unless  # every pass goes through it

    def counting_run(tokens: list[int], positions: int, stop: Callable[[], bool] | None) -> object:
        nonlocal passes
        passes += 1
        return run(tokens, positions, stop)

    monkeypatch.setattr(engine, "_run_unless", counting_run)
    generation = engine.generate(prompt, max_new_tokens=60, stop_tokens=NO_STOP)
    assert generation.tokens == expected
    # One prefill pass, then one pass per DRAFT_TOKENS + 1 tokens.
    assert passes <= 1 + -(-60 // (engine_module.DRAFT_TOKENS + 1))


def test_each_token_comes_with_its_probability_drafted_or_not(
    tiny_model: InstalledModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompt = prompt_of(30)
    plain = Engine(tiny_model.path, threads=1, speculate=False)
    expected = plain.generate(prompt, max_new_tokens=24, stop_tokens=NO_STOP)
    assert len(expected.logprobs) == len(expected.tokens)
    assert all(value <= 0 for value in expected.logprobs)
    # Greedy picks the likeliest token: no other one is more probable than it. The first
    # token's probability, from the prompt's logits computed here:
    first = Engine(tiny_model.path, threads=1, speculate=False)
    logits = first._run(prompt)[-1]
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    assert abs(np.log(probabilities.max()) - expected.logprobs[0]) < 1e-4
    # Verified drafts get the probabilities of their own positions, as plain decoding does.

    def oracle(context: list[int], limit: int) -> list[int]:
        done = len(context) - len(prompt)
        return expected.tokens[done : done + min(limit, engine_module.DRAFT_TOKENS)]

    monkeypatch.setattr(engine_module, "draft_from_context", oracle)
    drafted = Engine(tiny_model.path, threads=1).generate(
        prompt, max_new_tokens=24, stop_tokens=NO_STOP
    )
    assert drafted.tokens == expected.tokens
    assert np.allclose(drafted.logprobs, expected.logprobs, atol=1e-3)


def test_wrong_drafts_change_nothing(
    tiny_model: InstalledModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompt = prompt_of(30)
    plain = Engine(tiny_model.path, threads=1, speculate=False)
    expected = plain.generate(prompt, max_new_tokens=30, stop_tokens=NO_STOP).tokens
    monkeypatch.setattr(engine_module, "draft_from_context", lambda context, limit: [9] * limit)
    engine = Engine(tiny_model.path, threads=1)
    assert engine.generate(prompt, max_new_tokens=30, stop_tokens=NO_STOP).tokens == expected


def test_going_back_to_an_earlier_place_reuses_its_cache(engine: Engine) -> None:
    """A jump takes another slot (starting from the shared prefix), so the place it left
    stays cached: going back re-runs only what changed there, and gives a cold run's tokens."""
    shared = prompt_of(30)
    here = [*shared, *prompt_of(200, offset=1)]
    there = [*shared, *prompt_of(200, offset=2)]
    engine.forget()
    first = engine.generate(here, max_new_tokens=6, stop_tokens=NO_STOP)
    jump = engine.generate(there, max_new_tokens=6, stop_tokens=NO_STOP)
    assert jump.reused_tokens == len(shared)  # the shared start, copied into a new slot
    back = engine.generate([*here, 42], max_new_tokens=6, stop_tokens=NO_STOP)
    assert back.reused_tokens == len(here)
    assert cold(engine, [*here, 42], 6) == back.tokens
    assert first.tokens == cold(engine, here, 6)


def test_the_pool_is_bounded_and_evicts_the_least_recently_used(tiny_model: InstalledModel) -> None:
    engine = Engine(tiny_model.path, threads=1, cache_slots=2)
    places = [prompt_of(150, offset=k) for k in range(3)]
    for place in places:
        engine.generate(place, max_new_tokens=2, stop_tokens=NO_STOP)
    assert len(engine._pool.slots) == 2
    # The first place was evicted; the last two are still cached.
    assert engine.generate(places[2], max_new_tokens=2, stop_tokens=NO_STOP).reused_tokens > 100
    assert engine.generate(places[1], max_new_tokens=2, stop_tokens=NO_STOP).reused_tokens > 100
    assert engine.generate(places[0], max_new_tokens=2, stop_tokens=NO_STOP).reused_tokens < 10


def test_typing_after_a_long_generation_stays_in_its_slot(engine: Engine) -> None:
    prompt = prompt_of(120)
    engine.forget()
    engine.generate(prompt, max_new_tokens=100, stop_tokens=NO_STOP)
    again = engine.generate([*prompt, 7], max_new_tokens=2, stop_tokens=NO_STOP)
    assert again.reused_tokens == len(prompt)
    assert len(engine._pool.slots) == 1


def test_a_cancel_ends_a_pass_of_warming_or_prefill_in_the_middle(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request for the user's new place must not wait for a chunk of the place left."""
    monkeypatch.setattr(engine_module, "WARM_CHUNK", 3000)
    monkeypatch.setattr(engine_module, "PREFILL_CHUNK", 3000)
    prompt = prompt_of(3000)
    calls = 0

    def cancelled_once_running() -> bool:
        # False where it is asked before the pass begins; true from the watcher's first look
        # on, a few milliseconds into the pass.
        nonlocal calls
        calls += 1
        return calls > 1

    engine.forget()
    assert not engine.warm(prompt, cancelled_once_running)
    assert engine.cached_length(prompt) == 0  # the pass did not finish: nothing of it kept
    calls = 0
    generation = engine.generate(
        prompt, max_new_tokens=4, stop_tokens=NO_STOP, cancelled=cancelled_once_running
    )
    assert (generation.tokens, generation.stop_reason) == ([], "cancelled")
    assert engine.cached_length(prompt) == 0
    # Nothing left half-written: the same prompt afterwards gives a cold run's tokens.
    expected = cold(engine, prompt, max_new_tokens=4)
    engine.forget()
    engine.warm(prompt[:1000], lambda: False)
    assert engine.generate(prompt, max_new_tokens=4, stop_tokens=NO_STOP).tokens == expected
