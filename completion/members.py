"""At a member being written (`cart.|`), the model chooses among the names its receiver is
known to have (checks/namecheck.py `members_at`) instead of inventing one that the name check
would then drop: a constraint on the first tokens it writes."""

from __future__ import annotations

import numpy as np

from codegen_complete.completion.healing import TokenTexts, word_goes_on


class NameChoice:
    """The engine constraint at a member being written (`cart.|`, `cart.to|`): the first
    tokens spell one of `names`, the members its receiver is known to have that start with
    `typed` (the partial word left out of the prompt), and the word ends there. The model's
    own choice where it is one of them; its most probable one where it would invent a name.
    Past the name it writes freely."""

    def __init__(self, typed: str, names: frozenset[str], texts: TokenTexts) -> None:
        self.names = frozenset(name for name in names if name.startswith(typed))
        self.texts = texts

    def active(self, tokens: list[int]) -> bool:
        # Judged at each prefix of the tokens: once the text leaves every name (a name
        # spelled and ended), the constraint stays off, as the engine assumes.
        spelled = ""
        for token in tokens:
            if not self._on_a_name(spelled):
                return False
            spelled += self.texts.texts.get(token, "")
        return self._on_a_name(spelled)

    def _on_a_name(self, spelled: str) -> bool:
        return any(name.startswith(spelled) for name in self.names)

    def choose(self, tokens: list[int], logits: np.ndarray) -> int:
        spelled = "".join(self.texts.texts.get(token, "") for token in tokens)
        allowed: set[int] = set()
        for name in self.names:
            if not name.startswith(spelled):
                continue
            remaining = name[len(spelled) :]
            for token in self.texts.compatible(remaining):
                text = self.texts.texts[token]
                # A piece of the name, or all of it and then no more of a word.
                if remaining.startswith(text) or not word_goes_on(text[len(remaining) :]):
                    allowed.add(token)
        if spelled in self.names:
            # A whole name: anything but more of a word (`items` then `(`, `.`, a newline,
            # the end), or more of a longer name.
            scores = logits.copy()
            scores[self.texts.word_starts] = -np.inf
        elif allowed:
            scores = np.full_like(logits, -np.inf)
        else:
            return int(np.argmax(logits))
        candidates = np.fromiter(allowed, dtype=np.int64)
        scores[candidates] = logits[candidates]
        return int(np.argmax(scores))
