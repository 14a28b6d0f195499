"""Before the model runs: should this cursor get a completion, and of what shape?

- SKIP: inside a comment or a string (an unclosed one too), in the middle of a word, or at
  the end of a finished line (automatic triggers only; an explicit request still completes).
- MULTI_LINE: at an empty block body (a blank line after `def f():` or `{`, or right after
  the block opener at the end of its line): the model writes the body.
- SINGLE_LINE: everywhere else: the rest of the line.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tree_sitter import Node, QueryCursor

from codegen_complete.context import languages
from codegen_complete.context.documents import Document, byte_offset


class Mode(enum.Enum):
    SKIP = "skip"
    SINGLE_LINE = "single-line"
    MULTI_LINE = "multi-line"


@dataclass(frozen=True)
class Classification:
    mode: Mode
    reason: str


def _literal_at(document: Document, offset: int) -> str | None:
    """ "comment" or "string" when the cursor is inside one, else None."""
    if document.tree is None or document.spec is None:
        return None
    query = languages.query(document.spec, "literals")
    if query is None:
        return None
    cursor_byte = byte_offset(document.text, offset)
    captures = QueryCursor(query)
    captures.set_byte_range(max(0, cursor_byte - 1), cursor_byte + 1)
    for name, nodes in captures.captures(document.tree.root_node).items():
        for node in nodes:
            if node.start_byte >= cursor_byte:
                continue
            if cursor_byte < node.end_byte:
                return name
            # At the very end of a line comment the cursor is still in it; at the end of a
            # string or block comment it is past the closing delimiter.
            if name == "comment" and cursor_byte == node.end_byte and _is_line_comment(node.text):
                return name
    return None


# A line that ends in one of these, with nothing after the cursor and no syntax error on it,
# is finished: `x = f(y)`, `name = 'VAT'`, `call();`. (A line ending in a word may be a word
# still being typed; one ending in an operator or an opening bracket goes on.)
FINISHING_CHARACTERS = frozenset(")]}'\";`")
# Why nothing is suggested at the end of a line that is complete: the user's next key is
# most likely Enter.
FINISHED_LINE = "the line is finished"


def _has_error_between(node: Node, start: int, end: int) -> bool:
    """Whether an ERROR or MISSING node overlaps the bytes [start, end]."""
    if not node.has_error or node.end_byte < start or node.start_byte > end:
        return False
    if node.is_error or node.is_missing:
        return True
    return any(_has_error_between(child, start, end) for child in node.children)


def _finished_line(document: Document, offset: int) -> bool:
    text = document.text
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    line = text[line_start:offset].rstrip()
    if text[offset:line_end].strip() or not line or line[-1] not in FINISHING_CHARACTERS:
        return False
    if document.tree is None:
        return False
    start, end = byte_offset(text, line_start), byte_offset(text, offset)
    return not _has_error_between(document.tree.root_node, start, end)


def _in_unclosed_string(document: Document, offset: int) -> bool:
    """Whether the cursor's line opens a quote before the cursor that nothing closes: the
    tree has no string node for it (only an error), so the literal query cannot see it. The
    error is required too: a Rust lifetime (`&'a str`) is a lone quote in valid code."""
    if document.spec is None or document.tree is None:
        return False
    text = document.text
    line_start = text.rfind("\n", 0, offset) + 1
    start, end = byte_offset(text, line_start), byte_offset(text, offset)
    if not _has_error_between(document.tree.root_node, start, end):
        return False
    line = text[line_start:offset]
    comment = document.spec.line_comment
    quote = ""
    index = 0
    while index < len(line):
        character = line[index]
        if quote:
            if character == "\\":
                index += 1
            elif character == quote:
                quote = ""
        elif line.startswith(comment, index):
            return False
        elif character in "'\"`":
            quote = character
        index += 1
    return bool(quote)


def _is_line_comment(text: bytes | None) -> bool:
    return text is not None and (text.startswith(b"#") or text.startswith(b"//"))


def _is_word(character: str) -> bool:
    return character.isalnum() or character == "_"


def _empty_block_body(document: Document, offset: int) -> bool:
    """The cursor opens an empty block: its line holds only whitespace (or the cursor ends
    the opener's line), the line before ends the block header, and no deeper-indented line
    follows (the body is not written yet)."""
    opener = document.spec.block_opener if document.spec is not None else "{"
    text = document.text
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    before_cursor = text[line_start:offset]
    rest_of_line = text[offset:line_end]
    if rest_of_line.strip() not in ("", "}", ")", "]"):
        return False
    if before_cursor.strip():
        # `def f():|` or `if (x) {|`: the completion starts with a newline.
        header, header_indent = before_cursor.rstrip(), before_cursor
    else:
        previous = text[:line_start].rstrip("\n").rsplit("\n", 1)[-1]
        header, header_indent = previous.rstrip(), previous
    if not header.endswith(opener):
        return False
    indent = len(header_indent) - len(header_indent.lstrip())
    following = text[line_end + 1 :].split("\n", 8)[:8]
    next_code = next((line for line in following if line.strip()), "")
    next_indent = len(next_code) - len(next_code.lstrip())
    return not next_code or next_indent <= indent


def classify(document: Document, offset: int, explicit: bool = False) -> Classification:
    """Decide the completion mode at `offset` (a string index into the document's text)."""
    literal = _literal_at(document, offset)
    if literal is None and _in_unclosed_string(document, offset):
        literal = "string"
    if literal is not None and not explicit:
        return Classification(Mode.SKIP, f"inside a {literal}")
    after = document.text[offset : offset + 1]
    before = document.text[offset - 1 : offset] if offset > 0 else ""
    if not explicit and after and _is_word(after) and before and _is_word(before):
        return Classification(Mode.SKIP, "in the middle of a word")
    if not explicit and _finished_line(document, offset):
        return Classification(Mode.SKIP, FINISHED_LINE)
    if literal is None and _empty_block_body(document, offset):
        return Classification(Mode.MULTI_LINE, "at an empty block body")
    return Classification(Mode.SINGLE_LINE, "the rest of the line")
