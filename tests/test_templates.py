from __future__ import annotations

import pytest

from codegen_complete.completion.templates import FAMILIES, PREFIX, SUFFIX, detect_family


@pytest.mark.parametrize(
    ("tokens", "family"),
    [
        ({"<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endoftext|>"}, "qwen2.5-coder"),
        ({"<fim_prefix>", "<fim_middle>", "<fim_suffix>"}, "starcoder"),
        ({"<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"}, "deepseek-coder"),  # noqa: RUF001
        ({"▁<PRE>", "▁<SUF>", "▁<MID>", "</s>"}, "codellama"),
        ({"<|endoftext|>", "<|im_start|>"}, "left-to-right"),
    ],
)
def test_detect_family(tokens: set[str], family: str) -> None:
    assert detect_family(tokens).name == family


def test_every_template_has_a_prefix_and_fim_templates_a_suffix() -> None:
    for family in FAMILIES.values():
        assert family.template.count(PREFIX) == 1
        assert family.template.count(SUFFIX) == (1 if family.supports_fim else 0)
        assert family.stop_tokens


def test_special_tokens_are_the_template_markers() -> None:
    assert FAMILIES["qwen2.5-coder"].special_tokens == (
        "<|fim_prefix|>",
        "<|fim_suffix|>",
        "<|fim_middle|>",
    )
