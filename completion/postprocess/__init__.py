"""Turn the model's raw continuation into the text to insert.

A chain of small pure steps, each a function of (completion, situation):
  one_line / cut_block     keep the syntactic unit: the line, or the block body
  (noise.py)               no space after `(` or a member's `.`, no lint pragmas
  tidy_lines               no trailing whitespace
  remove_suffix_overlap    drop what repeats the text after the cursor
  drop_repetition          drop echoes of the line above and loops
  validate                 the file must not gain a syntax error: close what the line opened,
                           or trim, or drop (judged also as if brackets open above were
                           closed below: brackets.py)
  not_only_punctuation     (noise.py) a suggestion must hold a word
Real bad outputs are kept as regression cases in tests/test_postprocess.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from tree_sitter import Tree

from codegen_complete.completion.options import DEFAULTS
from codegen_complete.completion.postprocess.brackets import (
    closers_for,
    leading_closers,
    open_at,
    still_open,
)
from codegen_complete.completion.postprocess.noise import (
    no_space_after_member_dot,
    no_space_after_opening_bracket,
    not_only_punctuation,
    without_lint_pragmas,
)
from codegen_complete.context.classify import Mode
from codegen_complete.context.documents import syntax_damage, with_insertion
from codegen_complete.context.languages import LanguageSpec, parser

# Each repair candidate costs a parse; the first dozen cover real cases.
MAX_REPAIRS = 12


@dataclass(frozen=True)
class Situation:
    """What the steps need to know about where the completion goes."""

    before: str  # document text up to the cursor
    after: str  # document text from the cursor on
    mode: Mode = Mode.SINGLE_LINE
    language: LanguageSpec | None = None
    max_lines: int = DEFAULTS.max_lines
    # The syntax tree of before + after, when the caller keeps one (else validation parses).
    tree: Tree | None = None

    @property
    def rest_of_line(self) -> str:
        return self.after.split("\n", 1)[0]

    @property
    def line_before_cursor(self) -> str:
        return self.before.rsplit("\n", 1)[-1]


def _split_leading_newline(text: str) -> tuple[str, str]:
    """("\\n", rest) when the completion starts on a new line, else ("", text)."""
    stripped = text.lstrip("\r\n")
    if stripped != text:
        return "\n", stripped
    return "", text


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


# --- the syntactic unit -------------------------------------------------------------------


def unit_is_complete(text: str, situation: Situation) -> bool:
    """Whether the completion so far holds its whole syntactic unit: generation can stop."""
    if situation.mode is Mode.MULTI_LINE:
        return block_is_complete(text, situation)
    return line_is_complete(text)


def line_is_complete(text: str) -> bool:
    """Whether a single-line completion has ended, so generation can stop early."""
    _, body = _split_leading_newline(text)
    return "\n" in body


def one_line(text: str) -> str:
    """The rest of the cursor's line, or the next line when the model starts a new one at once.

    A model that ends the cursor's line straight away ("\\n    return x") means the code goes
    on the next line; that line, with its indentation, is the suggestion.
    """
    newline, body = _split_leading_newline(text.replace("\r\n", "\n"))
    line = body.split("\n", 1)[0].rstrip()
    if not line.strip():
        return ""
    return newline + line


def _after_header(situation: Situation) -> bool:
    """Whether the cursor ends the block header's line (`def f():|`), so that the body starts
    on the next line and anything the model writes on this line is not the body."""
    return bool(situation.line_before_cursor.strip())


def _without_header_comment(text: str, situation: Situation) -> str:
    """`text` without a comment that the model put on the header's line."""
    comment = situation.language.line_comment if situation.language else "#"
    first, newline, rest = text.partition("\n")
    if _after_header(situation) and first.strip().startswith(comment):
        return newline + rest
    return text


def _block_indent(situation: Situation, lines: list[str]) -> int | None:
    """Indentation of the body's lines: that of its first non-blank line."""
    if _after_header(situation):
        first = next((line for line in lines[1:] if line.strip()), None)
        return None if first is None else _indent(first)
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        return None
    if first is lines[0] and not situation.before.endswith("\n"):
        # The first line continues the cursor's (blank, indented) line: its indentation is
        # the cursor line's.
        return _indent(situation.line_before_cursor + first)
    return _indent(first)


def cut_block(text: str, situation: Situation) -> str:
    """Keep the block body the model wrote; cut where it leaves the block.

    Python: at the first non-blank line indented less than the body. Brace languages: where
    a closing brace takes the depth below the body's. A trailing comment the model puts on
    the header's line (`def f():  # ...`) is not the body: it goes.
    """
    lines = _without_header_comment(text.replace("\r\n", "\n"), situation).split("\n")
    braces = situation.language is None or situation.language.block_opener == "{"
    body_indent = _block_indent(situation, lines)
    kept: list[str] = []
    depth = 0
    for index, line in enumerate(lines):
        if braces:
            for character in line:
                depth += {"{": 1, "}": -1}.get(character, 0)
            if depth < 0:
                break
        elif (
            index > 0 and line.strip() and body_indent is not None and (_indent(line) < body_indent)
        ):
            break
        kept.append(line)
        if len([k for k in kept if k.strip()]) >= situation.max_lines:
            break
    return "\n".join(kept).rstrip()


def tidy_lines(completion: str, situation: Situation) -> str:
    """No trailing whitespace on any line; a first line of only spaces becomes empty."""
    return "\n".join(line.rstrip() for line in completion.split("\n")).rstrip()


def block_is_complete(text: str, situation: Situation) -> bool:
    """Whether a multi-line completion has left its block, so generation can stop early."""
    text = _without_header_comment(text, situation)
    cut = cut_block(text, situation)
    return len(cut) < len(text.rstrip()) and "\n" in text[len(cut) :].lstrip(" \t")


# --- overlap with what follows ------------------------------------------------------------


# What an editor types ahead of the cursor when an opening bracket or quote is typed.
TYPED_AHEAD = frozenset(")]}\"'`")


def typed_ahead(completion: str, situation: Situation) -> int:
    """How many characters after the cursor the completion takes over: the closing brackets
    and quotes an editor typed ahead (`def f(se|)`), when the completion's first line writes
    them itself further on (`lf) -> int:`), so that they go where the completion puts them.
    0 when the rest of the line is anything else, or the completion ends with those closers
    (remove_suffix_overlap then keeps them where they are)."""
    rest = situation.rest_of_line
    closers = rest.rstrip()
    first_line = completion.split("\n", 1)[0].rstrip()
    if not closers or not set(closers) <= TYPED_AHEAD or first_line.endswith(closers):
        return 0
    found = 0
    for character in first_line:
        if found < len(closers) and character == closers[found]:
            found += 1
    return len(rest) if found == len(closers) else 0


def remove_suffix_overlap(completion: str, situation: Situation) -> str:
    """Drop the end of `completion` that repeats the text after the cursor.

    With the cursor in `print(|)`, a model writing `x)` would otherwise leave `print(x))`;
    in a block, a model that goes on to copy the lines below the cursor gets them cut.
    """
    if "\n" not in completion:
        rest = situation.rest_of_line.rstrip()
        for length in range(min(len(rest), len(completion)), 0, -1):
            if completion.endswith(rest[:length]):
                return completion[:-length].rstrip() if rest[:length].strip() else completion
        return completion
    following = [line.strip() for line in situation.after.split("\n") if line.strip()][:3]
    if not following:
        return completion
    lines = completion.split("\n")
    for index in range(1, len(lines)):
        window = [line.strip() for line in lines[index:] if line.strip()][: len(following)]
        if window and window == following[: len(window)]:
            return "\n".join(lines[:index]).rstrip()
    return completion


# --- repetition ---------------------------------------------------------------------------


# A line this long that starts the next line is taken as a copy of it, not a new line.
REPEAT_PREFIX_CHARACTERS = 10
# What lines that close nested blocks are made of (`}`, `});`, `]`): they repeat rightly.
CLOSING_LINE = frozenset(")]};, ")


def drop_repetition(completion: str, situation: Situation) -> str:
    """Drop a line that only echoes the line above the cursor or the next line below it (or
    the start of it), and cut loops of lines."""
    if not completion.strip():
        return ""
    lines_before = situation.before.split("\n")
    if "\n" not in completion.strip("\n"):
        if completion.startswith("\n"):  # a new line below the cursor's
            whole_line, above = completion.strip(), lines_before[-1].strip()
        else:
            whole_line = (lines_before[-1] + completion).strip()
            above = lines_before[-2].strip() if len(lines_before) > 1 else ""
        below = _next_code_line(situation.after.partition("\n")[2])
        if set(whole_line) <= CLOSING_LINE:
            return completion  # closing lines repeat legitimately: `}` under `}`
        copies_below = whole_line == below or (
            len(whole_line) >= REPEAT_PREFIX_CHARACTERS and below.startswith(whole_line)
        )
        return "" if whole_line == above or copies_below else completion
    lines = completion.split("\n")
    seen: list[str] = []
    for index, line in enumerate(lines):
        if line.strip() and seen[-2:] == [line.strip()] * 2:
            return "\n".join(lines[: index - 1]).rstrip()
        if line.strip():
            seen.append(line.strip())
    return completion


def _next_code_line(text: str) -> str:
    """The first non-blank line of `text`, stripped ("" when there is none)."""
    return next((line.strip() for line in text.split("\n") if line.strip()), "")


# --- validation against the syntax tree ---------------------------------------------------


def validate(completion: str, situation: Situation) -> str:
    """The completion, closed or trimmed so that the file gains no syntax error; "" if none.

    Without a grammar for the language there is nothing to check against.
    """
    if not completion or situation.language is None:
        return completion
    language_parser = parser(situation.language)
    if language_parser is None:
        return completion

    # The whole file, not a window of lines around the cursor: a window cut inside a class or
    # a string parses as one large error, which any text inserted into it makes larger, so
    # every completion would look harmful. Each candidate re-parses only what it touches.
    text = situation.before + situation.after
    offset = len(situation.before)
    tree = situation.tree or language_parser.parse(text.encode())

    def damage(inserted: str) -> int:
        if not inserted:
            return syntax_damage(tree.root_node)
        edited = with_insertion(language_parser, tree, text, offset, inserted)
        return syntax_damage(edited.root_node)

    # Two judgements, a candidate passing either: the file as it is, and at the end of a
    # line, the file as if the code still to be written below closed the brackets open
    # around the line (brackets.py says why), where closing them mends the file; a line
    # ending with an opener, also as if its construct went on below.
    line = situation.line_before_cursor
    as_is = damage("")
    # (Where the line goes on after the cursor, it closes what it must.)
    at_line_end = not situation.rest_of_line.strip()

    @functools.cache
    def closed_judgement() -> tuple[str, int] | None:  # asked only when the first one fails
        return _closed(tree, text, offset - len(line), line, damage, as_is)

    def judged(candidate: str) -> tuple[bool, int]:
        """Whether the file is broken with `candidate` in every judgement, and the least
        damage it adds in one (negative: it mends)."""
        found = damage(candidate)
        if found == 0 or not at_line_end or (closed := closed_judgement()) is None:
            return found > 0, found - as_is
        outer, closed_damage = closed
        broken, added = True, found - as_is
        own, rest = still_open(line + candidate, outer)
        for closing in {rest, own + rest} - {""}:
            found = damage(candidate + "\n" + closing)
            broken, added = broken and found > 0, min(added, found - closed_damage)
        return broken, added

    # The file may be broken already (the line being typed is incomplete): the best candidate
    # is the longest one that leaves it whole, else the longest one that adds no damage. (A
    # trim that happens to shrink an error the file had is no better than the whole line.)
    best, best_score = "", (True, 1)
    for candidate in _repairs(completion, situation)[:MAX_REPAIRS]:
        if not candidate.strip():
            continue
        broken, added = judged(candidate)
        if (score := (broken, max(added, 0))) < best_score:
            best, best_score = candidate, score
            if not broken:
                break
    return best


def _closed(
    tree: Tree, text: str, line_start: int, line: str, damage: Callable[[str], int], as_is: int
) -> tuple[str, int] | None:
    """The brackets that lines above leave open (closers, innermost first) which, closed on
    the next line with the line being typed, mend the broken file the most, and the damage
    left then; None when closing mends nothing (they are closed further down)."""
    if not as_is:
        return "", 0  # nothing to close but what the line itself opens
    outer = open_at(tree, text, line_start)
    typed = closers_for(line)
    best: tuple[str, int] | None = None
    for count in range(len(outer) + 1):
        if closing := typed + outer[:count]:
            found = damage("\n" + closing)
            if found < (as_is if best is None else best[1]):
                best = outer[:count], found
    return best


def _repairs(completion: str, situation: Situation) -> list[str]:
    """Candidates from the completion itself down to its shortest trim, in order."""
    candidates = [completion]
    if "\n" not in completion:
        rest = situation.rest_of_line
        closers = closers_for(situation.line_before_cursor + completion)
        missing = closers[: max(0, len(closers) - len(leading_closers(rest)))]
        if missing:
            candidates.append(completion + missing)
        # Trim word by word from the end.
        words = completion.rstrip().split(" ")
        for count in range(len(words) - 1, 0, -1):
            trimmed = " ".join(words[:count]).rstrip()
            candidates.append(trimmed)
            trimmed_closers = closers_for(situation.line_before_cursor + trimmed)
            if trimmed_closers:
                candidates.append(trimmed + trimmed_closers)
        return candidates
    lines = completion.split("\n")
    for count in range(len(lines) - 1, 0, -1):
        candidates.append("\n".join(lines[:count]).rstrip())
    return candidates


# --- the chain ----------------------------------------------------------------------------

Step = Callable[[str, Situation], str]


def _unit(completion: str, situation: Situation) -> str:
    if situation.mode is Mode.MULTI_LINE:
        return cut_block(completion, situation)
    return one_line(completion)


CHAIN: tuple[Step, ...] = (
    _unit,
    no_space_after_opening_bracket,
    no_space_after_member_dot,
    without_lint_pragmas,
    tidy_lines,
    remove_suffix_overlap,
    drop_repetition,
    validate,
    not_only_punctuation,
)


_PARTIAL_WORD = re.compile(r"[A-Za-z0-9_]+$")


def cut_unfinished(text: str, situation: Situation) -> str:
    """What to keep of output cut short (time or token cap): whole lines of a block, or a
    line without the word it stopped in, so that a late answer is still a safe one."""
    if situation.mode is Mode.MULTI_LINE and "\n" in text.strip("\n"):
        return text[: text.rstrip("\n").rfind("\n")]
    line = text.rstrip("\n")
    if line != text:  # the line was finished
        return text
    return _PARTIAL_WORD.sub("", line)


def postprocess(raw: str, situation: Situation) -> str:
    """The suggestion to show for raw model output `raw`."""
    completion = raw
    for step in CHAIN:
        completion = step(completion, situation)
        if not completion:
            return ""
    return completion
