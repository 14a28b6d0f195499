"""Token healing: let the model re-choose the tokens of the partial word at the cursor.

Typing `value = compu|` ends the prompt in a token split no real text has (" comp" + "u"), and
the model, seeing it, derails. The pipeline leaves the partial word out of the prompt and the
engine constrains the first generated tokens to spell it again (" compute(" is allowed, " cat"
is not); the spelled part is then taken off the suggestion.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Callable

import numpy as np
from tokenizers import Tokenizer

# The partial word at the end of the text before the cursor, with the space before it (BPE
# vocabularies glue a leading space to the word).
PARTIAL_WORD = re.compile(r"[ \t]?[A-Za-z0-9_]{1,32}$")


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte-level alphabet, inverted: the character each byte is spelled with."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]  # fmt: skip
    characters = list(printable)
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            characters.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, characters, strict=True)}


class TokenTexts:
    """The text of every vocabulary token, sorted for prefix searches."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        decoder = _byte_decoder()
        self.texts: dict[int, str] = {}
        by_text: dict[str, list[int]] = defaultdict(list)
        for token, token_id in tokenizer.get_vocab(with_added_tokens=False).items():
            text = self._decode(token, decoder)
            if text:
                self.texts[token_id] = text
                by_text[text].append(token_id)
        self._by_text = dict(by_text)
        self._sorted = sorted(self._by_text)
        # Tokens that go on a word: none may follow a name that must end.
        self.word_starts = np.fromiter(
            (token for token, text in self.texts.items() if word_goes_on(text)), dtype=np.int64
        )

    @staticmethod
    def _decode(token: str, decoder: dict[str, int]) -> str | None:
        if all(character in decoder for character in token):
            try:
                return bytes(decoder[c] for c in token).decode("utf-8")
            except UnicodeDecodeError:
                return None  # part of a multi-byte character: never needed to spell a word
        return token.replace("▁", " ")  # SentencePiece spelling

    def compatible(self, remaining: str) -> list[int]:
        """Tokens that spell the start of `remaining`, or all of it and more."""
        if not remaining:
            return []
        # Texts starting with `remaining` are a contiguous run of the sorted texts...
        low = bisect.bisect_left(self._sorted, remaining)
        high = bisect.bisect_left(self._sorted, remaining + "\U0010ffff")
        found = [i for text in self._sorted[low:high] for i in self._by_text[text]]
        # ...and the texts it starts with are its own prefixes.
        for length in range(1, len(remaining)):
            found += self._by_text.get(remaining[:length], [])
        return found


def partial_word(before: str) -> str:
    """The partial word the cursor ends (with its leading space), or ""."""
    match = PARTIAL_WORD.search(before)
    return match.group(0) if match else ""


class Healing:
    """The engine constraint: the first tokens spell `text` (the partial word left out of the
    prompt), and the very first may not be one of `banned_first` (tokens ending the line)."""

    def __init__(
        self, text: str, texts: TokenTexts | None, banned_first: frozenset[int] = frozenset()
    ) -> None:
        if text and texts is None:
            raise ValueError("spelling a text needs the token texts")
        self.text = text
        self.texts = texts
        self.banned_first = np.fromiter(banned_first, dtype=np.int64)

    def _spelled(self, tokens: list[int]) -> str:
        if self.texts is None:
            return ""
        return "".join(self.texts.texts.get(token, "") for token in tokens)

    def active(self, tokens: list[int]) -> bool:
        if not tokens and len(self.banned_first):
            return True
        return len(self._spelled(tokens)) < len(self.text)

    def choose(self, tokens: list[int], logits: np.ndarray) -> int:
        scores = logits
        if not tokens and len(self.banned_first):
            scores = logits.copy()
            scores[self.banned_first] = -np.inf
        remaining = self.text[len(self._spelled(tokens)) :]
        if not remaining or self.texts is None:
            return int(np.argmax(scores))
        candidates = np.asarray(self.texts.compatible(remaining), dtype=np.int64)
        if not len(candidates):  # nothing spells it: let the model choose
            return int(np.argmax(scores))
        return int(candidates[np.argmax(scores[candidates])])


def heal(
    before: str,
    after: str,
    constrained: bool,
    line_enders: frozenset[int],
    token_texts: Callable[[], TokenTexts],
) -> tuple[str, str, Healing | None]:
    """(prompt text before the cursor, the text left out of it, the backend constraint);
    `constrained`: whether the backend takes a constraint.

    A prompt ending in spaces or in a partial word derails a BPE model: it has rarely seen
    a space token before a word, or a word cut where the user stopped typing. The spaces
    are left out and the first token may not end the line ("return |" means to go on);
    a partial word is left out and the model must spell it again (token healing).
    """
    stripped = before.rstrip(" \t")
    if not constrained:
        # A remote engine takes no constraint: the spaces are still left out (the model
        # writes them itself, or starts the word at once); a partial word stays in.
        return stripped, before[len(stripped) :], None
    if stripped != before:
        return stripped, before[len(stripped) :], Healing("", None, line_enders)
    next_character = after[:1]
    word = partial_word(before)
    if word and not (next_character.isalnum() or next_character == "_"):
        return before[: -len(word)], word, Healing(word, token_texts())
    return before, "", None


# Vocabulary spellings of tokens that are only whitespace up to a newline: byte-level BPE
# ("Ġ" space, "ĉ" tab, "Ċ" newline) and SentencePiece ("▁", "<0x0A>").
_LINE_ENDER = re.compile(r"^(?:[Ġĉ▁ ]|<0x20>|<0x09>)*(?:Ċ|<0x0A>|\n)")


def written_after(healed: str, text: str) -> str:
    """What the model wrote after the text healing left out of the prompt. Spaces the user
    typed stand for any the model writes (one `x = ` and the model's ` 1` make `x = 1`)."""
    if text.startswith(healed):
        return text[len(healed) :]
    return text.lstrip(" \t") if not healed.strip() else text


def line_ending_tokens(tokenizer: Tokenizer) -> frozenset[int]:
    """Tokens that would end the cursor's line with nothing on it."""
    vocabulary = tokenizer.get_vocab(with_added_tokens=False)
    return frozenset(i for token, i in vocabulary.items() if _LINE_ENDER.match(token))


def word_goes_on(text: str) -> bool:
    """Whether `text` begins with a character that would go on the word before it."""
    return bool(text) and (text[0].isalnum() or text[0] == "_")
