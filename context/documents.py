"""A document's text and syntax tree, re-parsed incrementally as it is edited.

Offsets here are Python string indices (code points); tree-sitter wants UTF-8 byte offsets and
(row, byte column) points, converted at each edit. LSP's UTF-16 positions are the server's
business: it converts them to string offsets before calling in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node, Parser, Point, Tree

from codegen_complete.context import languages
from codegen_complete.context.languages import LanguageSpec


def _point(text: str, offset: int) -> Point:
    line_start = text.rfind("\n", 0, offset) + 1
    return Point(text.count("\n", 0, offset), len(text[line_start:offset].encode()))


def byte_offset(text: str, offset: int) -> int:
    return len(text[:offset].encode())


@dataclass
class Document:
    text: str
    spec: LanguageSpec | None
    tree: Tree | None = field(default=None, init=False)
    _parser: Parser | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.spec is not None:
            self._parser = languages.parser(self.spec)
        self.tree = self._parse(None)

    @classmethod
    def open(cls, text: str, path: str | None = None, lsp_id: str | None = None) -> Document:
        return cls(text, languages.detect(path, lsp_id))

    def _parse(self, old: Tree | None) -> Tree | None:
        if self._parser is None:
            return None
        source = self.text.encode()
        return self._parser.parse(source, old) if old is not None else self._parser.parse(source)

    def edit(self, start: int, end: int, new_text: str) -> None:
        """Replace text[start:end] with `new_text` and update the tree incrementally."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(
                f"edit range {start}..{end} is outside the document (0..{len(self.text)})"
            )
        old_text = self.text
        self.text = old_text[:start] + new_text + old_text[end:]
        if self.tree is None:
            return
        start_byte = byte_offset(old_text, start)
        self.tree.edit(
            start_byte=start_byte,
            old_end_byte=start_byte + len(old_text[start:end].encode()),
            new_end_byte=start_byte + len(new_text.encode()),
            start_point=_point(old_text, start),
            old_end_point=_point(old_text, end),
            new_end_point=_point(self.text, start + len(new_text)),
        )
        self.tree = self._parse(self.tree)


def lines_above(text: str, offset: int, count: int) -> int:
    """Where the line `count` lines above the one holding `offset` starts (0 at the top)."""
    start = offset
    for _ in range(count):
        start = text.rfind("\n", 0, start)
        if start <= 0:
            return 0
    return start


def with_insertion(parser: Parser, tree: Tree, text: str, offset: int, inserted: str) -> Tree:
    """The tree of `text` with `inserted` at `offset`, re-parsed incrementally from `tree` (the
    tree of `text`, left as it is): a candidate completion costs a re-parse of the region it
    touches, not of the file."""
    start_byte = byte_offset(text, offset)
    new_text = text[:offset] + inserted
    edited = tree.copy()
    edited.edit(
        start_byte=start_byte,
        old_end_byte=start_byte,
        new_end_byte=start_byte + len(inserted.encode()),
        start_point=_point(text, offset),
        old_end_point=_point(text, offset),
        new_end_point=_point(new_text, len(new_text)),
    )
    return parser.parse((new_text + text[offset:]).encode(), edited)


def syntax_damage(node: Node) -> int:
    """How broken the syntax under `node` is: bytes inside ERROR nodes plus one per MISSING
    node. Unlike a count of error nodes, it grows when a completion spreads an error."""
    if not node.has_error:
        return 0
    if node.is_error:
        return max(1, node.end_byte - node.start_byte)
    return int(node.is_missing) + sum(syntax_damage(child) for child in node.children)


@dataclass(frozen=True)
class Inserted:
    """A file with a suggestion inserted, parsed: what the name checks read."""

    tree: Tree
    data: bytes  # the file's UTF-8 text with the suggestion
    start: int  # the suggestion's byte range in `data`
    end: int

    def text_of(self, node: Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode(errors="replace")

    def offset_of(self, node: Node) -> int:
        """Where `node` starts in the suggestion, as a string index."""
        return len(self.data[self.start : node.start_byte].decode(errors="replace"))

    def inside(self, node: Node) -> bool:
        return self.start <= node.start_byte and node.end_byte <= self.end


def parse_with(
    suggestion: str, before: str, after: str, language: LanguageSpec, tree: Tree | None = None
) -> Inserted | None:
    """`suggestion` between `before` and `after`, parsed (incrementally from `tree`, the
    tree of before + after, when there is one); None without a grammar."""
    parser = languages.parser(language)
    if parser is None:
        return None
    text = before + suggestion + after
    data = text.encode()
    if tree is not None:
        tree = with_insertion(parser, tree, before + after, len(before), suggestion)
    start = len(before.encode())
    return Inserted(tree or parser.parse(data), data, start, start + len(suggestion.encode()))


def all_nodes(node: Node) -> list[Node]:
    """`node` and everything under it, in document order."""
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(current.children))
    return found
