"""Brackets still open where the user types, so that a line can be judged as if the code
still to be written below it closed them.

Writing on, the lines after the cursor are not there yet: in `messages = [` ⏎ `{...}` ⏎ |
the `[` is closed only once the user gets there. Any text inserted into that unclosed region
grows its syntax error, so without this every line inside a multi-line call, list or dict
was dropped (editors that close brackets as they are typed hide it; Neovim without an
autopairs plugin does not).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tree_sitter import Node, Tree

from codegen_complete.context.documents import lines_above

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {closer: opener for opener, closer in OPENERS.items()}
BRACKETS = OPENERS.keys() | CLOSERS.keys()
# How far above the cursor an open bracket is looked for: a literal being written is rarely
# longer, and the walk over the tokens stays a few milliseconds.
WINDOW_LINES = 200
# At most this many nested open brackets are closed for the judgement.
MAX_DEPTH = 6


def _brackets(text: str) -> Iterator[str]:
    """The brackets of `text` outside its string literals (told apart roughly, by quotes)."""
    quote = ""
    for character in text:
        if quote:
            quote = "" if character == quote else quote
        elif character in "\"'`":
            quote = character
        elif character in BRACKETS:
            yield character


def _left_open(brackets: Iterable[str]) -> str:
    """The closers of the brackets left open in `brackets`, innermost first."""
    stack: list[str] = []
    for bracket in brackets:
        if bracket in OPENERS:
            stack.append(OPENERS[bracket])
        elif stack and stack[-1] == bracket:
            stack.pop()
    return "".join(reversed(stack))


def closers_for(text: str) -> str:
    """The closing brackets `text` leaves open, innermost first."""
    return _left_open(_brackets(text))


def leading_closers(rest: str) -> str:
    """The closing brackets that `rest` starts with (after blanks)."""
    stripped = rest.lstrip()
    count = 0
    while count < len(stripped) and stripped[count] in CLOSERS:
        count += 1
    return stripped[:count]


def open_at(tree: Tree, text: str, offset: int) -> str:
    """The closers of the brackets open at `offset` of `text` (whose syntax tree is `tree`),
    innermost first: read from the tree's bracket tokens over the lines above, so brackets
    in strings and comments do not count."""
    start = lines_above(text, offset, WINDOW_LINES)
    start_byte = len(text[:start].encode())
    end_byte = len(text[:offset].encode())
    tokens = _tokens(tree.root_node, start_byte, end_byte)
    return _left_open(token.type for token in tokens if token.type in BRACKETS)[:MAX_DEPTH]


def _tokens(root: Node, start_byte: int, end_byte: int) -> Iterator[Node]:
    """The leaf nodes inside [start_byte, end_byte), in order, outside strings and comments.
    A stack, not recursion: generated code can nest deeper than Python's recursion limit."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.end_byte <= start_byte or node.start_byte >= end_byte:
            continue
        if "string" in node.type or "comment" in node.type:
            continue
        if node.child_count == 0:
            if node.start_byte >= start_byte and node.end_byte <= end_byte:
                yield node
            continue
        stack.extend(reversed(node.children))


def still_open(line: str, outer: str) -> tuple[str, str]:
    """What may follow the inserted `line` to close the brackets: its own, when it ends with
    an opener (`result = compute(`, `if (ready) {`: a construct going on below; "" else:
    a line that leaves a bracket open mid-line is unfinished), and those of `outer` (open
    on the lines above, innermost first) that it does not close."""
    own: list[str] = []
    outer_left = list(outer)
    for bracket in _brackets(line):
        if bracket in OPENERS:
            own.append(OPENERS[bracket])
        elif own and own[-1] == bracket:
            own.pop()
        elif not own and outer_left and outer_left[0] == bracket:
            outer_left.pop(0)
    ends_open = line.rstrip()[-1:] in OPENERS
    return ("".join(reversed(own)) if ends_open else ""), "".join(outer_left)
