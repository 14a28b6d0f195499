"""The import a file is missing, offered where the user is about to write one.

A user who has just written code with a name the file never binds (`RolloutOutput`,
`overload`, `threading.Thread`, `UserError`) and opens a new line among the file's imports is
about to import it. The workspace says from where: other files import the same name (the
project's own idiom, `from gepa.core.adapter import RolloutOutput`), or a workspace module
defines it, or it is a module of the standard library. The small model, shown such lines in
its context, still writes some other import (docs/quality.md); this is a lookup, not a guess,
so it needs no model.

Only the places an import goes count: a line of its own next to an import statement or in
the file's head (nothing but imports and comments above it), a line inside the member list
of a multi-line import, or the end of a one-line import's member list (`from m import a, |`,
`import { a, | } from "m"`: how a name is added to an import the file has); in a member
list, only names that import's module provides are offered.

Each language's rules: `missing_imports.py` in its room (context/languages/).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node, Tree

from codegen_complete.context import languages
from codegen_complete.context.index.repo import RepoIndex
from codegen_complete.context.index.windows import WINDOW_LINES
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.context.languages.importing import ImportSource, Listing, MissingImportRules

# A name is looked up in this many of the index's windows that hold it.
WINDOWS_PER_NAME = 16
NAMES_LOOKED_UP = 16
_BARE_WORD = re.compile(r"[\w$]+")  # the start of a member line, `Defa` in `from m import (`


@dataclass(frozen=True)
class Site:
    """Where the cursor is: a new import statement (`module` None) or a member of the
    multi-line import from `module` (as written)."""

    module: str | None
    line_before_cursor: str  # what the user typed on the line so far
    comma: bool = False  # the members of that import end with a comma
    # The members on the lines just above and below the cursor ("" for none).
    neighbours: tuple[str, str] = ("", "")


def missing_import(
    text: str,
    offset: int,
    path: Path,
    index: RepoIndex,
    language: LanguageSpec,
    tree: Tree | None = None,
) -> str | None:
    """The text to insert at the cursor (`offset` in `text`, the file at `path` in the
    index's workspace) when it is where an import goes and the file reads a name it never
    binds that the workspace can import; None otherwise."""
    rules = languages.missing_import_rules(language)
    parser = languages.parser(language)
    if rules is None or parser is None:
        return None
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = len(text) if (end := text.find("\n", offset)) < 0 else end
    listing = rules.one_line_members(text[line_start:offset], text[offset:line_end])
    if listing is not None:
        # The file is judged without that line: it may not parse while the user types it.
        without = text[:line_start] + text[line_end + 1 :]
        return _continued(rules, listing, parser.parse(without.encode()), path, index)
    site = _site(text, offset)
    if site is None:
        return None
    begun = site.line_before_cursor.strip()
    if begun and not (rules.could_start(begun) or _BARE_WORD.fullmatch(begun)):
        return None  # code, not the start of an import or of a member line
    if begun:
        # A line being typed (`from sh`) can leave the rest of the file in one parse error:
        # the file is judged without it.
        offset -= len(site.line_before_cursor)
        text = text[:offset] + text[offset + len(site.line_before_cursor) :]
        tree = None
    tree = tree or parser.parse(text.encode())
    site = _in_tree(rules, site, tree, text, offset)
    if site is None:
        return None
    current = _workspace_path(path, index)
    names = rules.unbound_names(tree, index.root)[:NAMES_LOOKED_UP]
    if current is None or not names:
        return None
    sources = {name: _sources(rules, name, current, index) for name in names}
    if site.module is not None:
        line = _member(rules, site, names, sources, current, index)
    else:
        line = rules.statement(names, sources, text, tree, current, index.root)
    typed = site.line_before_cursor.lstrip()
    if line is None or not line.startswith(typed) or line == typed:
        return None
    return line[len(typed) :]


def _continued(
    rules: MissingImportRules, listing: Listing, tree: Tree, path: Path, index: RepoIndex
) -> str | None:
    """The names the file is missing that the module of a one-line import provides, to
    continue its member list at the cursor: `fail_after, move_on_after` after `import a, `."""
    current = _workspace_path(path, index)
    if current is None:
        return None
    unbound = rules.unbound_names(tree, index.root)
    names = [name for name in unbound if name not in listing.listed][:NAMES_LOOKED_UP]
    sources = {name: _sources(rules, name, current, index) for name in names}
    provided = [
        name for name in _provided(rules, listing.module, names, sources, current, index)
        if name.startswith(listing.word)
    ]  # fmt: skip
    listed = list(listing.listed)
    if listed == rules.member_order(listed):  # a sorted list stays sorted
        provided = rules.member_order(provided)
    if not provided or provided == [listing.word]:
        return None
    if listing.word:
        return ", ".join(provided)[len(listing.word) :]
    return listing.separator + ", ".join(provided)


def _workspace_path(path: Path, index: RepoIndex) -> str | None:
    """The file's path in the index's workspace; None for a file outside it."""
    resolved = path.resolve()
    if not resolved.is_relative_to(index.root):
        return None
    return resolved.relative_to(index.root).as_posix()


# --- where the cursor is --------------------------------------------------------------------


def _site(text: str, offset: int) -> Site | None:
    """The cursor at the end of its line, having typed nothing or the start of a line."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    rest = text[offset : len(text) if line_end < 0 else line_end]
    if rest.strip():
        return None
    return Site(None, text[line_start:offset])


def _in_tree(
    rules: MissingImportRules, site: Site, tree: Tree, text: str, offset: int
) -> Site | None:
    """The site with what the syntax tree says of it: inside a multi-line import (which
    module), on a line of its own where import statements go, or neither (None)."""
    position = len(text[:offset].encode())
    statement = _enclosing(rules, tree.root_node.descendant_for_byte_range(position, position))
    line_start = len(text[: text.rfind("\n", 0, offset) + 1].encode())
    lines = text.split("\n")
    number = text.count("\n", 0, offset)
    if statement is not None and statement.start_byte < line_start:
        module = rules.member_module(statement, position)
        if module is None:
            return None
        members = text.encode()[statement.start_byte : position].decode(errors="replace")
        last_member = members.rstrip().rsplit("\n", 1)[-1]
        above = lines[number - 1] if number > 0 else ""
        below = lines[number + 1] if number + 1 < len(lines) else ""
        return Site(
            module, site.line_before_cursor, last_member.rstrip().endswith(","),
            (_member_name(above), _member_name(below)),
        )  # fmt: skip
    if site.line_before_cursor.strip() and not rules.could_start(site.line_before_cursor):
        return None
    neighbours = [n for n in (number - 1, number + 1) if 0 <= n < len(lines)]
    if any(_begins_or_ends_import(rules, tree, lines, n) for n in neighbours):
        return site
    at_top_level = not site.line_before_cursor[:1].isspace()
    return site if at_top_level and _in_file_head(rules, tree, position) else None


def _in_file_head(rules: MissingImportRules, tree: Tree, position: int) -> bool:
    """Whether nothing but imports and what may precede them comes before `position`."""
    for node in tree.root_node.children:
        if node.start_byte >= position:
            return True
        if node.type not in rules.statements and not rules.may_precede_imports(node):
            return False
    return True


def _enclosing(rules: MissingImportRules, node: Node | None) -> Node | None:
    while node is not None and node.type not in rules.statements:
        node = node.parent
    return node


def _begins_or_ends_import(
    rules: MissingImportRules, tree: Tree, lines: list[str], number: int
) -> bool:
    """Whether line `number` begins or ends an import statement."""
    line = lines[number]
    if not line.strip():
        return False
    column = len(line[: len(line) - len(line.lstrip())].encode())
    statement = _enclosing(
        rules, tree.root_node.descendant_for_point_range((number, column), (number, column))
    )
    return statement is not None and number in (statement.start_point[0], statement.end_point[0])


# --- where a name can come from -------------------------------------------------------------


def _sources(
    rules: MissingImportRules, name: str, current: str, index: RepoIndex
) -> Counter[ImportSource]:
    """How often the workspace's other files import `name` from each module; failing that,
    the workspace modules that define it, or the language's fallback."""
    imported: Counter[ImportSource] = Counter()
    for path, lines, start in index.windows_with(
        [name], [current], WINDOWS_PER_NAME, any_of=("import", "from")
    ):
        for number in range(start, min(start + WINDOW_LINES, len(lines))):
            if source := rules.source_on_line(lines, number, name, path, index.root):
                imported[source] += 1
    if imported:
        return imported
    if defined := _definitions(rules, name, [current], index):  # only when none imports it
        return defined
    fallback = rules.fallback(name)
    return Counter({fallback: 1}) if fallback is not None else Counter()


def _definitions(
    rules: MissingImportRules, name: str, exclude: list[str], index: RepoIndex
) -> Counter[ImportSource]:
    """The workspace modules that define `name` (none for a language whose rules take no
    definitions), how often."""
    defined: Counter[ImportSource] = Counter()
    if not rules.definition_words:
        return defined
    for path, lines, start in index.windows_with(
        [name], exclude, WINDOWS_PER_NAME, any_of=rules.definition_words
    ):
        for line in lines[start : start + WINDOW_LINES]:
            if source := rules.definition_on_line(line, name, path, index.root):
                defined[source] += 1
    return defined


def _member(
    rules: MissingImportRules,
    site: Site,
    names: list[str],
    sources: dict[str, Counter[ImportSource]],
    current: str,
    index: RepoIndex,
) -> str | None:
    """The first name the multi-line import's module provides, as a member line; in a
    sorted list, the first that sorts between the members above and below."""
    assert site.module is not None
    provided = _provided(rules, site.module, names, sources, current, index)
    above, below = site.neighbours
    if above and below and above < below:
        provided.sort(key=lambda name: not above < name < below)  # stable: first use next
    return provided[0] + ("," if site.comma else "") if provided else None


def _provided(
    rules: MissingImportRules,
    written: str,
    names: list[str],
    sources: dict[str, Counter[ImportSource]],
    current: str,
    index: RepoIndex,
) -> list[str]:
    """The `names` that the module `written` (as the file writes it) provides: other files
    import them from it, or it exports or defines them."""
    module = rules.absolute(written, current, index.root)
    exported = rules.exports(module, index.root)
    return [
        name for name in names
        if any(source.module == module for source in sources[name])
        or name in exported
        or _defined_in(rules, module, name, index)
    ]  # fmt: skip


def _member_name(line: str) -> str:
    """The name a member line of a multi-line import lists (`  Name,`, `  type Name,`)."""
    words = re.findall(r"[\w$]+", line.split("#")[0].split("//")[0])
    if words[:1] == ["type"]:
        words = words[1:]
    return words[0] if len(words) in (1, 3) and (len(words) == 1 or words[1] == "as") else ""


def _defined_in(rules: MissingImportRules, module: str, name: str, index: RepoIndex) -> bool:
    """Whether the workspace file of `module` defines `name`."""
    return any(source.module == module for source in _definitions(rules, name, [], index))
