"""Prompt templates per model family, as data.

A template is the order of the prompt's parts: special tokens (inserted by id, never parsed out
of user text), the prefix and the suffix. Each family pairs its template with the tokens that
end a completion, because a FIM model does not reliably stop by itself at the end of the middle.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "{prefix}"
SUFFIX = "{suffix}"


@dataclass(frozen=True)
class Family:
    """How to prompt one family of models and when to stop reading its output."""

    name: str
    # Ordered prompt parts: PREFIX, SUFFIX, or the text of a special token.
    template: tuple[str, ...]
    stop_tokens: tuple[str, ...]
    # Special tokens whose presence in a tokenizer identifies the family.
    markers: tuple[str, ...] = ()
    supports_fim: bool = True
    # The family's published FIM format, when the template above departs from it (the naive
    # baseline of `codegen-complete eval` uses it).
    published_template: tuple[str, ...] | None = None
    # The token that starts a file in the family's repository-level format, if it has one.
    file_separator: str | None = None

    @property
    def plain_template(self) -> tuple[str, ...]:
        return self.published_template or self.template

    @property
    def special_tokens(self) -> tuple[str, ...]:
        """Every special token the template needs, in order of first use."""
        return tuple(part for part in self.template if part not in (PREFIX, SUFFIX))


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family(
            name="qwen2.5-coder",
            # Suffix first, prefix last: typing changes only the end of the token sequence, so
            # the KV cache of the previous keystroke is reused. It also scored best here
            # (30/60 exact lines against 23/60 for prefix-suffix-middle on the public single-line
            # slice, int4, greedy, November 2026).
            template=("<|fim_prefix|>", "<|fim_suffix|>", SUFFIX, "<|fim_middle|>", PREFIX),
            published_template=(
                "<|fim_prefix|>",
                PREFIX,
                "<|fim_suffix|>",
                SUFFIX,
                "<|fim_middle|>",
            ),
            file_separator="<|file_sep|>",
            stop_tokens=(
                "<|endoftext|>",
                "<|fim_prefix|>",
                "<|fim_suffix|>",
                "<|fim_middle|>",
                "<|fim_pad|>",
                "<|file_sep|>",
                "<|repo_name|>",
                "<|im_end|>",
            ),
            markers=("<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>"),
        ),
        Family(
            name="starcoder",
            template=("<fim_prefix>", PREFIX, "<fim_suffix>", SUFFIX, "<fim_middle>"),
            stop_tokens=(
                "<|endoftext|>",
                "<fim_prefix>",
                "<fim_suffix>",
                "<fim_middle>",
                "<file_sep>",
            ),
            markers=("<fim_prefix>", "<fim_middle>", "<fim_suffix>"),
            file_separator="<file_sep>",
        ),
        Family(
            name="deepseek-coder",
            template=("<｜fim▁begin｜>", PREFIX, "<｜fim▁hole｜>", SUFFIX, "<｜fim▁end｜>"),
            stop_tokens=(
                "<｜end▁of▁sentence｜>",
                "<｜fim▁begin｜>",
                "<｜fim▁hole｜>",
                "<｜fim▁end｜>",
                "<|EOT|>",
            ),
            markers=("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>"),
        ),
        Family(
            name="codellama",
            template=("▁<PRE>", PREFIX, "▁<SUF>", SUFFIX, "▁<MID>"),
            stop_tokens=("▁<EOT>", "</s>"),
            markers=("▁<PRE>", "▁<SUF>", "▁<MID>"),
        ),
        Family(
            name="left-to-right",
            template=(PREFIX,),
            stop_tokens=("<|endoftext|>", "<|im_end|>", "</s>", "<|end_of_text|>", "<eos>"),
            supports_fim=False,
        ),
    )
}


def detect_family(vocabulary: set[str]) -> Family:
    """The FIM family whose special tokens the tokenizer has, else left-to-right."""
    for family in FAMILIES.values():
        if family.markers and all(marker in vocabulary for marker in family.markers):
            return family
    return FAMILIES["left-to-right"]


# Words in a served model's name that give its family away (vLLM serves models under their
# Hugging Face names, e.g. Qwen/Qwen2.5-Coder-7B).
_NAME_MARKERS = (
    ("qwen2.5-coder", "qwen2.5-coder"),
    ("starcoder", "starcoder"),
    ("deepseek-coder", "deepseek-coder"),
    ("codellama", "codellama"),
)


def family_of_model_name(name: str) -> str | None:
    """The FIM family a served model's name says it belongs to; None: the name does not say."""
    lowered = name.lower().replace("_", "-")
    return next((family for marker, family in _NAME_MARKERS if marker in lowered), None)
