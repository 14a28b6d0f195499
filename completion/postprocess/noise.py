"""Shapes of suggestion that are never worth a user's attention, whatever the model's
confidence: post-processing steps (completion/postprocess.py) that trim them off or drop them.

Each was met on real code (issue 28): `main_transport = agent_card_data.` → `\\`;
`status = TaskStatus(` → `# noqa: PLR0913`; `task = owner_tasks.` → ` get(task_id, None)`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from codegen_complete.completion.postprocess import Situation

# A comment that speaks to a tool, not to a reader: linters', type checkers', formatters' and
# coverage tools' pragmas. The model copies them from training data, where they silence
# warnings that the user's code does not have.
_PRAGMA = re.compile(
    r"\s*(?:#|//|/\*)\s*(?:noqa\b|type:\s*ignore|pylint:|pyright:|mypy:|fmt:|isort:|"
    r"ruff:|pragma\b|nosec\b|eslint-|@ts-(?:ignore|expect-error|nocheck)|prettier-ignore|"
    r"nolint\b|NOSONAR|noinspection\b|rubocop:|istanbul\s+ignore|c8\s+ignore|deno-lint-)"
    r".*$"
)
# A member access just typed: `name.`, `call().`, `items[0].`, not `1.` or `...`.
_MEMBER_DOT = re.compile(r"(?:[A-Za-z_$][\w$]*|[)\]])\.$")


def no_space_after_opening_bracket(completion: str, situation: Situation) -> str:
    """`f( x)` is nobody's style: a completion right after `(` or `[` starts with its word.
    (The model often writes one space there; `{` is left alone, `{ a }` is common.)"""
    if situation.line_before_cursor.endswith(("(", "[")) and completion.startswith(" "):
        return completion.lstrip(" ")
    return completion


def no_space_after_member_dot(completion: str, situation: Situation) -> str:
    """`owner_tasks. get(...)` is no code anyone writes: after a member access's dot the
    suggestion starts with the member's name."""
    if _MEMBER_DOT.search(situation.line_before_cursor) and completion[:1] in (" ", "\t"):
        return completion.lstrip(" \t")
    return completion


def without_lint_pragmas(completion: str, situation: Situation) -> str:
    """The suggestion without the tool pragmas its lines end with (`# noqa: PLR0913`,
    `// eslint-disable-line`); a line that was nothing else goes."""
    kept = []
    for line in completion.split("\n"):
        match = _PRAGMA.search(line)
        if match is None or _in_quotes(line[: match.start()]):
            kept.append(line)
        elif line[: match.start()].strip():
            kept.append(line[: match.start()].rstrip())
    return "\n".join(kept) if any(line.strip() for line in kept) else ""


def _in_quotes(text: str) -> bool:
    """Whether `text` leaves a string open (then what follows is inside it, not a comment)."""
    return text.count('"') % 2 == 1 or text.count("'") % 2 == 1


def not_only_punctuation(completion: str, situation: Situation) -> str:
    """Nothing, for a suggestion with no word in it (`\\`, `)`, `});`): the keys it saves
    are one or two, and a ghost in the way costs more."""
    if not any(character.isalnum() for character in completion):
        return ""
    return completion
