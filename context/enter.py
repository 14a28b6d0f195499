"""Where Enter puts the cursor: the indentation an editor's auto-indent gives the next line.

The server prepares the suggestion for the line after the one being finished, for the
document as it will be once the user has taken the suggestion and pressed Enter. VS Code and
Neovim indent that line the same way for the common cases: as the line before, one level
deeper after a line that opens a block or a bracket, one level shallower after a line that
ends its block in a language of indented blocks (its spec's `block_end`: `return`, `pass`,
...). Where the guess is wrong, the prepared suggestion is simply not used.
"""

from __future__ import annotations

from codegen_complete.context.languages import LanguageSpec

_OPENERS = ("(", "[", "{")


def indent_unit(text: str) -> str:
    """The file's indentation step: a tab, or the smallest step between indented lines (4
    spaces when the file does not say)."""
    steps: set[int] = set()
    previous = 0
    for line in text.split("\n", 2000)[:2000]:
        if not line.strip():
            continue
        if line.startswith("\t"):
            return "\t"
        width = len(line) - len(line.lstrip(" "))
        if width > previous:
            steps.add(width - previous)
        previous = width
    return " " * min(steps) if steps else "    "


def indent_after_enter(line: str, text: str, language: LanguageSpec | None) -> str:
    """The indentation of the line that Enter opens after `line` (the whole line, without
    its newline) in a document whose text is `text`."""
    indent = line[: len(line) - len(line.lstrip())]
    code = line.strip()
    opener = language.block_opener if language is not None else "{"
    if code.endswith((opener, *_OPENERS)):
        return indent + indent_unit(text)
    block_end = language.block_end if language is not None else None
    if block_end is not None and block_end.match(code):
        unit = indent_unit(text)
        return indent[: -len(unit)] if indent.endswith(unit) else indent
    return indent
