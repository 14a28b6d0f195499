"""Build the prompt's token ids from the text around the cursor and a family's template.

The windows of text before and after the cursor are cut at line boundaries snapped to a grid
of `LINE_GRID` lines, so that while the user types the window edges stay put and the prompt
changes only at the cursor: the engine then reuses the KV cache of the previous keystroke.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tokenizers import Tokenizer

from codegen_complete.completion.templates import PREFIX, SUFFIX, Family

# Window edges move in steps of this many lines: a keystroke that pushes the prefix over its
# budget then costs a cache miss once every few lines typed, not at every line.
LINE_GRID = 8


@dataclass(frozen=True)
class Budget:
    """Token budget of the prompt; the suffix gets `suffix_share` of it when there is one.

    `context` tokens more go to definitions from other files.
    """

    total: int = 768
    suffix_share: float = 0.25
    context: int = 256

    def split(self, fim: bool) -> tuple[int, int]:
        suffix = int(self.total * self.suffix_share) if fim else 0
        return self.total - suffix, suffix


@dataclass(frozen=True)
class ContextSnippet:
    """Code from another file to show the model, e.g. the signature of an imported function."""

    path: str  # relative to the workspace root
    text: str
    order: int = 0  # position in its file: blocks keep file order, so they stay put


@dataclass(frozen=True)
class Prompt:
    tokens: list[int]
    prefix: str  # the text of the prefix window actually used
    suffix: str
    context: tuple[ContextSnippet, ...] = ()  # the snippets that fitted


class PromptBuilder:
    def __init__(self, tokenizer: Tokenizer, family: Family, special_ids: dict[str, int]) -> None:
        self.tokenizer = tokenizer
        # Text that looks like a special token ("<|fim_middle|>" in a source file) stays text.
        self.tokenizer.encode_special_tokens = True
        self.family = family
        self.special_ids = special_ids
        separator = family.file_separator
        self.file_separator = tokenizer.token_to_id(separator) if separator else None

    def count(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]

    def encode(self, text: str) -> list[int]:
        if not text:
            return []
        return list(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def build(
        self,
        before: str,
        after: str,
        budget: Budget,
        plain: bool = False,
        context: Sequence[ContextSnippet] = (),
        path: str | None = None,
    ) -> Prompt:
        """Tokens for completing between `before` (text up to the cursor) and `after`.

        `context` snippets, most relevant first, go before the file while they fit
        `budget.context`; `path` names the current file for them. `plain` lays the prompt out
        in the family's published FIM format instead of ours.
        """
        prefix_budget, suffix_budget = budget.split(self.family.supports_fim)
        prefix = self._prefix_window(before, prefix_budget)
        suffix = self._suffix_window(after, suffix_budget, first_line=before.count("\n"))
        prefix_ids = self._fit_prefix(self.encode(prefix), prefix_budget)
        suffix_ids = self.encode(suffix)[:suffix_budget]
        chosen = self._fit_context(context, budget.context)
        tokens = self._context_tokens(chosen, path) if chosen else []
        for part in self.family.plain_template if plain else self.family.template:
            if part == PREFIX:
                tokens += prefix_ids
            elif part == SUFFIX:
                tokens += suffix_ids
            else:
                tokens.append(self.special_ids[part])
        return Prompt(tokens=tokens, prefix=prefix, suffix=suffix, context=chosen)

    def _fit_context(
        self, snippets: Sequence[ContextSnippet], budget: int
    ) -> tuple[ContextSnippet, ...]:
        """The most relevant snippets that fit, in a stable order (file, then position), so
        that the start of the prompt changes only when the selection does."""
        chosen: list[ContextSnippet] = []
        spent = 0
        for snippet, cost in zip(snippets, self.count([s.text for s in snippets]), strict=True):
            if spent + cost + 8 <= budget:  # + the file header
                chosen.append(snippet)
                spent += cost + 8
        return tuple(sorted(chosen, key=lambda s: (s.path, s.order)))

    def _context_tokens(self, snippets: Sequence[ContextSnippet], path: str | None) -> list[int]:
        """Snippets grouped by file, in the family's repository format (a file-separator token
        before each path) or, without one, as files introduced by a comment line."""
        by_file: dict[str, list[str]] = {}
        for snippet in snippets:
            by_file.setdefault(snippet.path, []).append(snippet.text)
        files = [(name, "\n\n".join(texts) + "\n") for name, texts in by_file.items()]
        if path is not None:
            files.append((path, ""))  # the current file's header: its text follows
        tokens: list[int] = []
        for name, text in files:
            if self.file_separator is not None:
                tokens += [self.file_separator, *self.encode(f"{name}\n{text}")]
            else:
                tokens += self.encode(f"# {name}\n{text}\n")
        return tokens

    @staticmethod
    def _fit_prefix(ids: list[int], budget: int) -> list[int]:
        # The line-level estimate can be a few tokens off; keep the end, next to the cursor.
        return ids[-budget:] if len(ids) > budget else ids

    def _prefix_window(self, before: str, budget: int) -> str:
        lines = before.splitlines(keepends=True)
        if before.endswith("\n") or not lines:
            lines.append("")
        counts = self.count(lines)
        # The cursor's line always goes in; earlier lines go in while they fit, starting at a
        # grid line so the start stays put as the cursor moves.
        total = counts[-1]
        start = len(lines) - 1
        while start > 0 and total + counts[start - 1] <= budget:
            start -= 1
            total += counts[start]
        snapped = -(-start // LINE_GRID) * LINE_GRID
        if snapped < len(lines) - 1:  # never snap away every line before the cursor's
            start = snapped
        return "".join(lines[start:])

    def _suffix_window(self, after: str, budget: int, first_line: int) -> str:
        if budget <= 0 or not after:
            return ""
        lines = after.splitlines(keepends=True)
        counts = self.count(lines)
        end, total = 0, 0
        while end < len(lines) and total + counts[end] <= budget:
            total += counts[end]
            end += 1
        if end < len(lines):
            # End on a grid line of the file (not of the window) so that new lines typed above
            # do not move the end: Enter shifts the cursor, not the text below it.
            snapped = ((first_line + end) // LINE_GRID) * LINE_GRID - first_line
            if snapped > 0:
                end = snapped
        return "".join(lines[:end])
