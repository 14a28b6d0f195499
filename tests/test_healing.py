"""Token healing: the model re-spells the partial word at the cursor; spaces never end a line;
at a member, the model spells one its receiver has (completion/members.py)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from tokenizers import Tokenizer

from codegen_complete.completion.completer import Completer, CompletionRequest
from codegen_complete.completion.healing import TokenTexts, partial_word
from codegen_complete.completion.options import DEFAULTS, Options
from codegen_complete.context.classify import Mode
from codegen_complete.measure.quality.evaluation import naive_complete
from codegen_complete.models.load import load_model
from codegen_complete.models.store import InstalledModel


@pytest.fixture(scope="module")
def completer(tiny_model: InstalledModel) -> Completer:
    return load_model(tiny_model, threads=1)


def request(before: str, max_new_tokens: int) -> CompletionRequest:
    options = Options(max_new_tokens=max_new_tokens)
    return CompletionRequest(before, "\n", Mode.SINGLE_LINE, options, deadline=None)


@pytest.mark.parametrize(
    ("before", "word"),
    [("x = compu", " compu"), ("    retu", " retu"), ("math.p", "p"), ("x = ", ""),
     ("f(a)", ""), ("\nname", "name")],
)  # fmt: skip
def test_partial_word(before: str, word: str) -> None:
    assert partial_word(before) == word


def test_compatible_tokens_spell_the_text(tiny_model: InstalledModel) -> None:
    texts = TokenTexts(Tokenizer.from_file(str(tiny_model.file("tokenizer.json"))))
    found = texts.compatible(" retu")
    assert found
    for token in found:
        text = texts.texts[token]
        assert text.startswith(" retu") or " retu".startswith(text)
    assert texts.compatible("") == []


@pytest.mark.parametrize("before", ["def add(a, b):\n    retu", "x = compu", "value = math.p"])
def test_the_model_spells_the_partial_word_again(completer: Completer, before: str) -> None:
    word = partial_word(before)
    result = completer.complete(request(before, max_new_tokens=8))
    # The random model would not write the word by itself; the constraint makes it.
    assert result.continuation.text.startswith(word)
    prompt = completer.prompts.build(before[: -len(word)], "\n", DEFAULTS.budget)
    assert result.continuation.prompt_tokens == len(prompt.tokens)


def test_after_trailing_spaces_the_first_token_does_not_end_the_line(
    completer: Completer,
) -> None:
    for before in ("x = ", "return ", "    y =  "):
        result = completer.complete(request(before, max_new_tokens=3))
        # Spaces are left out of the prompt; the first token may not be a line end.
        assert not result.continuation.text.lstrip(" \t").startswith("\n")


def test_the_naive_baseline_is_not_healed(completer: Completer) -> None:
    """The baseline sends the text as given, partial word and all, in the published format."""
    options = Options(max_new_tokens=4)
    naive_complete(completer, "x = compu", "\n", Mode.SINGLE_LINE, None, options)
    prompts = completer.prompts
    expected = prompts.assemble(
        completer.family.plain_template, prompts.windows("x = compu", "\n", options.budget)
    )
    assert completer.engine._cached_tokens[: len(expected)] == expected


@pytest.mark.parametrize(("before", "typed"), [("total = cart.", ""), ("total = cart.su", "su")])
def test_at_a_member_the_model_writes_one_the_receiver_has(
    completer: Completer, before: str, typed: str
) -> None:
    members = frozenset({"subtotal", "owner", "items", "sum_of"})
    free = completer.complete(request(before, max_new_tokens=12))
    chosen = completer.complete(replace(request(before, max_new_tokens=12), members=members))
    # The random model writes no member by itself; among the receiver's, it spells one whole
    # (starting with what was typed), then writes on freely.
    assert first_word(free.continuation.text) not in members
    name = first_word(chosen.continuation.text)
    assert name in members and name.startswith(typed)


def test_a_partial_word_no_member_starts_is_spelled_again(completer: Completer) -> None:
    members = frozenset({"subtotal", "owner"})
    result = completer.complete(replace(request("total = cart.zz", 6), members=members))
    assert result.continuation.text.startswith("zz")


def first_word(text: str) -> str:
    match = re.match(r"\w*", text)
    return match.group(0) if match else ""
