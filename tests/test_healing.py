"""Token healing: the model re-spells the partial word at the cursor; spaces never end a line."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer

from codegen_complete.completion.healing import TokenTexts, partial_word
from codegen_complete.completion.pipeline import Completer, CompletionRequest
from codegen_complete.completion.store import InstalledModel


@pytest.fixture(scope="module")
def completer(tiny_model: InstalledModel) -> Completer:
    return Completer(tiny_model, threads=1)


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
    result = completer.complete(CompletionRequest(before=before, after="\n", max_new_tokens=8))
    # The random model would not write the word by itself; the constraint makes it.
    assert result.raw.startswith(word)
    prompt = completer.prompts.build(before[: -len(word)], "\n", CompletionRequest("", "").budget)
    assert result.generation.prompt_tokens == len(prompt.tokens)


def test_after_trailing_spaces_the_first_token_does_not_end_the_line(
    completer: Completer,
) -> None:
    for before in ("x = ", "return ", "    y =  "):
        result = completer.complete(CompletionRequest(before=before, after="\n", max_new_tokens=3))
        if result.generation.tokens:
            assert result.generation.tokens[0] not in completer.line_enders


def test_naive_requests_are_not_healed(completer: Completer) -> None:
    result = completer.complete(
        CompletionRequest(before="x = compu", after="\n", naive=True, max_new_tokens=4)
    )
    prompt = completer.prompts.build(
        "x = compu", "\n", CompletionRequest("", "").budget, plain=True
    )
    assert result.generation.prompt_tokens == len(prompt.tokens)
