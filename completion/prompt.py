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
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.context.snippets import Snippet

# Window edges move in steps of this many lines: a keystroke that pushes the prefix over its
# budget then costs a cache miss once every few lines typed, not at every line.
LINE_GRID = 8
# Default token budgets (`options.Options` reads them): the text around the cursor, and code
# from other files on top of it.
PROMPT_TOKENS = 768
# Three retrieved windows of 15 lines need about 500 tokens: 256 held one (fresh suite, dev
# half: 33.3% exact match at 256, 36.3% at 512, 35.3% at 768).
CONTEXT_TOKENS = 512


@dataclass(frozen=True)
class Budget:
    """Token budget of the prompt; the suffix gets `suffix_share` of it when there is one.

    `context` tokens more go to code from other files.
    """

    total: int = PROMPT_TOKENS
    context: int = CONTEXT_TOKENS
    suffix_share: float = 0.25

    def split(self, fim: bool) -> tuple[int, int]:
        suffix = int(self.total * self.suffix_share) if fim else 0
        return self.total - suffix, suffix


@dataclass(frozen=True)
class Windows:
    """The text around the cursor that fits the budget, and its tokens."""

    prefix: str
    suffix: str
    prefix_ids: list[int]
    suffix_ids: list[int]


@dataclass(frozen=True)
class Prompt:
    tokens: list[int]
    prefix: str  # the text of the prefix window actually used
    suffix: str
    context: tuple[Snippet, ...] = ()  # the snippets that fitted
    path: str | None = None  # the file it completes, as its header names it


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

    def windows(self, before: str, after: str, budget: Budget) -> Windows:
        """The prefix and suffix windows, cut on (grid-snapped) line boundaries to fit."""
        prefix_budget, suffix_budget = budget.split(self.family.supports_fim)
        prefix = self._prefix_window(before, prefix_budget)
        suffix = self._suffix_window(after, suffix_budget)
        prefix_ids = self._fit_prefix(self.encode(prefix), prefix_budget)
        return Windows(prefix, suffix, prefix_ids, self.encode(suffix)[:suffix_budget])

    def build(
        self,
        before: str,
        after: str,
        budget: Budget,
        context: Sequence[Snippet] = (),
        path: str | None = None,
        language: LanguageSpec | None = None,
    ) -> Prompt:
        """Tokens for completing between `before` (text up to the cursor) and `after`.

        `context` snippets, most relevant first, go before the file while they fit
        `budget.context`; `path` names the current file for them, and `language` says how to
        write a file header as a comment when the family has no file-separator token.
        """
        windows = self.windows(before, after, budget)
        chosen = self._fit_context(context, budget.context)
        comment = language.line_comment if language is not None else "#"
        tokens = self._context_tokens(chosen, path, comment) if chosen else []
        tokens += self.assemble(self.family.template, windows)
        return Prompt(tokens, windows.prefix, windows.suffix, chosen, path)

    def assemble(self, template: Sequence[str], windows: Windows) -> list[int]:
        """A template's parts in order: the windows' tokens and special-token ids."""
        tokens: list[int] = []
        for part in template:
            if part == PREFIX:
                tokens += windows.prefix_ids
            elif part == SUFFIX:
                tokens += windows.suffix_ids
            else:
                tokens.append(self.special_ids[part])
        return tokens

    def _fit_context(self, snippets: Sequence[Snippet], budget: int) -> tuple[Snippet, ...]:
        """The most relevant snippets that fit, in a stable order (file, then position), so
        that the start of the prompt changes only when the selection does."""
        chosen: list[Snippet] = []
        spent = 0
        for snippet, cost in zip(snippets, self.count([s.text for s in snippets]), strict=True):
            if spent + cost + 8 <= budget:  # + the file header
                chosen.append(snippet)
                spent += cost + 8
        return tuple(sorted(chosen, key=lambda s: (s.path, s.order)))

    def _context_tokens(
        self, snippets: Sequence[Snippet], path: str | None, comment: str
    ) -> list[int]:
        """Snippets grouped by file, in the family's repository format (a file-separator token
        before each path) or, without one, as files introduced by a `comment` line."""
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
                tokens += self.encode(f"{comment} {name}\n{text}\n")
        return tokens

    @staticmethod
    def _fit_prefix(ids: list[int], budget: int) -> list[int]:
        # The line-level estimate can be a few tokens off; keep the end, next to the cursor.
        return ids[-budget:] if len(ids) > budget else ids

    def _prefix_window(self, before: str, budget: int) -> str:
        lines = before.splitlines(keepends=True)
        if before.endswith("\n") or not lines:
            lines.append("")
        # Every whole line costs a token at least: only the last `budget` can fit, so only
        # they are counted (a cursor deep in a long file costs no more than one near the top).
        first = max(0, len(lines) - 1 - budget)
        counts = [0] * first + self.count(lines[first:])
        # The cursor's line always goes in; earlier lines go in while they fit, starting at a
        # grid line so the start stays put as the cursor moves.
        total = counts[-1]
        start = len(lines) - 1
        while start > first and total + counts[start - 1] <= budget:
            start -= 1
            total += counts[start]
        snapped = -(-start // LINE_GRID) * LINE_GRID
        if snapped < len(lines) - 1:  # never snap away every line before the cursor's
            start = snapped
        return "".join(lines[start:])

    def _suffix_window(self, after: str, budget: int) -> str:
        if budget <= 0 or not after:
            return ""
        lines = after.splitlines(keepends=True)[: budget + 1]  # each costs a token at least
        counts = self.count(lines)
        end, total = 0, 0
        while end < len(lines) and total + counts[end] <= budget:
            total += counts[end]
            end += 1
        if end < len(lines):
            # End on a grid line counted from the end of the file, which text typed above the
            # cursor does not move: Enter shifts the lines below down, and a grid counted from
            # the top moved the end by a line at each Enter (the whole prompt after it then
            # ran again: seconds, on every line written).
            lines_after = after.count("\n") + (not after.endswith("\n"))
            snapped = lines_after - -(-(lines_after - end) // LINE_GRID) * LINE_GRID
            if snapped > 0:
                end = snapped
        return "".join(lines[:end])
