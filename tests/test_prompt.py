"""Prompt layout: template order, special-token safety, windows that stay put while typing."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer

from codegen_complete.completion.prompt import LINE_GRID, Budget, PromptBuilder
from codegen_complete.completion.templates import FAMILIES
from codegen_complete.context import languages
from codegen_complete.context.snippets import Snippet
from codegen_complete.models.store import InstalledModel


@pytest.fixture()
def builder(tiny_model: InstalledModel) -> PromptBuilder:
    tokenizer = Tokenizer.from_file(str(tiny_model.file("tokenizer.json")))
    return PromptBuilder(
        tokenizer, FAMILIES["qwen2.5-coder"], tiny_model.manifest.special_token_ids
    )


def test_qwen_layout_puts_the_suffix_first_and_the_prefix_last(builder: PromptBuilder) -> None:
    ids = builder.special_ids
    prompt = builder.build("x = 1\ny = ", "\nprint(y)\n", Budget())
    prefix_ids = builder.encode("x = 1\ny = ")
    suffix_ids = builder.encode("\nprint(y)\n")
    assert prompt.tokens == [
        ids["<|fim_prefix|>"],
        ids["<|fim_suffix|>"],
        *suffix_ids,
        ids["<|fim_middle|>"],
        *prefix_ids,
    ]


def test_special_token_text_in_the_source_stays_text(builder: PromptBuilder) -> None:
    prompt = builder.build("s = '<|fim_middle|>'\n", "", Budget())
    # One fim_middle: the template's own; the one in the string is plain characters.
    assert prompt.tokens.count(builder.special_ids["<|fim_middle|>"]) == 1


def test_left_to_right_family_has_no_suffix(builder: PromptBuilder) -> None:
    ltr = PromptBuilder(builder.tokenizer, FAMILIES["left-to-right"], {})
    prompt = ltr.build("a = 1\nb = ", "\nc = 3\n", Budget())
    assert prompt.tokens == ltr.encode("a = 1\nb = ")
    assert prompt.suffix == ""


def numbered_lines(count: int) -> str:
    return "".join(f"value_{i} = compute({i}, {i * 3})\n" for i in range(count))


def test_windows_fit_the_budget(builder: PromptBuilder) -> None:
    text = numbered_lines(400)
    cursor = len(numbered_lines(200))
    budget = Budget(total=256)
    prompt = builder.build(text[:cursor], text[cursor:], budget)
    assert len(prompt.tokens) <= budget.total + 3  # + the three special tokens
    assert text[:cursor].endswith(prompt.prefix)
    assert text[cursor:].startswith(prompt.suffix)
    assert prompt.prefix and prompt.suffix


def test_typing_changes_only_the_end_of_the_prompt(builder: PromptBuilder) -> None:
    """Keystrokes at the cursor keep the prompt's start, so the KV cache is reused."""
    text = numbered_lines(300)
    cursor = len(numbered_lines(150))
    typed = "result = compute(total, "
    budget = Budget(total=256)
    previous = builder.build(text[:cursor], text[cursor:], budget).tokens
    shared = []
    for end in range(1, len(typed) + 1):
        tokens = builder.build(text[:cursor] + typed[:end], text[cursor:], budget).tokens
        common = next(
            (i for i, (a, b) in enumerate(zip(previous, tokens, strict=False)) if a != b),
            min(len(previous), len(tokens)),
        )
        shared.append(common / len(previous))
        previous = tokens
    # All but the last token or two of the previous prompt is kept at every keystroke, except
    # at most once, when the growing line pushes the window start to the next grid line.
    assert sum(share < 0.95 for share in shared) <= 1


def test_prefix_window_starts_on_a_grid_line(builder: PromptBuilder) -> None:
    text = numbered_lines(300)
    lines = text.splitlines(keepends=True)
    for cursor_line in (100, 101, 117):
        before = "".join(lines[:cursor_line])
        prompt = builder.build(before, "", Budget(total=1000))
        first_line = cursor_line - prompt.prefix.count("\n")
        assert first_line % LINE_GRID == 0


def test_enter_keeps_the_suffix_window(builder: PromptBuilder) -> None:
    """Writing on, Enter shifts the lines below the cursor down a line: the suffix window,
    which the prompt's later tokens follow, keeps its text (it lost a line at every Enter
    when its end was snapped to a grid counted from the top of the file)."""
    text = numbered_lines(300)
    budget = Budget(total=400)
    for line in range(96, 106):
        cursor = len(numbered_lines(line))
        before, after = text[:cursor] + "total = 1", "\n" + text[cursor:]
        assert builder.windows(before, after, budget).suffix.count("\n") < 60  # cut short
        typed = builder.build(before, after, budget)
        after_enter = builder.build(before + "\n", after, budget)
        assert typed.suffix == after_enter.suffix, line


@pytest.mark.parametrize("spec", languages.SPECS, ids=lambda spec: spec.name)
def test_context_headers_are_comments_of_the_files_language(
    builder: PromptBuilder, spec: languages.LanguageSpec
) -> None:
    """Without a file-separator token, each context file is introduced by a comment line in
    the current file's language (a `#` line would be a syntax error in JavaScript or Go)."""
    ltr = PromptBuilder(builder.tokenizer, FAMILIES["left-to-right"], {})
    snippet = Snippet(f"lib/util{spec.extensions[0]}", "helper(1)", order=0)
    prompt = ltr.build("x", "", Budget(), context=[snippet], path="main", language=spec)
    text = builder.tokenizer.decode(prompt.tokens)
    assert text.startswith(f"{spec.line_comment} lib/util{spec.extensions[0]}\nhelper(1)\n")
    assert f"\n{spec.line_comment} main\n" in text
