"""Pieces of a definition's summary that every brace language shares: its signature (the text
up to its body), its doc comment's first line, a short declaration whole or cut."""

from __future__ import annotations

from tree_sitter import Node

from codegen_complete.context.languages.importing import node_text

# Lines of a type, struct or enum shown whole; a longer one is cut with a marker.
MAX_TYPE_LINES = 12
# Members shown of a class, struct or trait.
MAX_MEMBERS = 30
DOC_MARKERS = ("/**", "///", "//!", "/*", "//")


def signature(start: Node, body: Node | None, source: bytes) -> str:
    """The text from `start` to where `body` begins (all of it without a body)."""
    end = body.start_byte if body is not None else start.end_byte
    return source[start.start_byte : end].decode(errors="replace").rstrip()


def doc_line(node: Node) -> str:
    """The first line of the comment right above a declaration (`/** ... */`, `/// ...`)."""
    previous = node.prev_named_sibling
    if previous is None or "comment" not in previous.type:
        return ""
    if previous.end_point[0] < node.start_point[0] - 1:
        return ""
    text = node_text(previous).strip()
    for marker in DOC_MARKERS:
        if text.startswith(marker):
            text = text[len(marker) :]
            break
    for line in text.removesuffix("*/").splitlines():
        line = line.strip().lstrip("*/!").strip()
        if line:
            return line
    return ""


def with_doc(node: Node, summary: str, comment: str = "//") -> str:
    doc = doc_line(node)
    return f"{comment} {doc}\n{summary}" if doc else summary


def short_text(start: Node, end: Node, source: bytes) -> str:
    """The declaration from `start` to the end of `end`, cut after MAX_TYPE_LINES lines."""
    text = source[start.start_byte : end.end_byte].decode(errors="replace")
    lines = text.split("\n")
    if len(lines) <= MAX_TYPE_LINES:
        return text
    return "\n".join([*lines[: MAX_TYPE_LINES - 1], "  // …", lines[-1]])


def first_line(node: Node) -> str:
    return node_text(node).split("\n", 1)[0].rstrip()
