"""The import a Python file is missing, offered where the user is about to write one.

A user who has just written code with a name the file never binds (`RolloutOutput`,
`overload`, `threading.Thread`) and opens a new line among the file's imports is about to
import it. The workspace says from where: other files import the same name (the project's own
idiom, `from gepa.core.adapter import RolloutOutput`), or a workspace module defines it, or
it is a module of the standard library. The small model, shown such lines in its context,
still writes some other import (docs/quality.md); this is a lookup, not a guess, so it needs
no model.

Only the places an import goes count: a line of its own next to the top of the file's import
statements, or a line inside a parenthesized `from m import (...)`, where only a name that
module provides is offered.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Node, QueryCursor, Tree

from codegen_complete.context import languages
from codegen_complete.context.importing import Imported
from codegen_complete.context.index import WINDOW_LINES, RepoIndex
from codegen_complete.context.names import BUILTIN_NAMES
from codegen_complete.context.python_imports import PYTHON, imports_of

IMPORT_STATEMENTS = ("import_statement", "import_from_statement", "future_import_statement")
# A name is looked up in this many of the index's windows that hold it.
WINDOWS_PER_NAME = 32
NAMES_LOOKED_UP = 8
# How far above a member of a parenthesized import its `from m import (` may be.
MEMBER_LINES = 100

_FROM_IMPORT = re.compile(r"\s*from\s+(\.*[\w.]*)\s+import\s+(.*)$")
_FROM_IMPORT_OPEN = re.compile(r"\s*from\s+(\.*[\w.]*)\s+import\s*\(\s*(#.*)?$")
_PLAIN_IMPORT = re.compile(r"\s*import\s+([\w.]+)\s*(#.*)?$")
_MEMBER_LINE = re.compile(r"\s*(\w+)\s*,?\s*(#.*)?$")


@dataclass(frozen=True)
class Site:
    """Where the cursor is: a new import statement (`module` None) or a member of the
    parenthesized import from `module`."""

    module: str | None
    line_before_cursor: str  # what the user typed on the line so far
    comma: bool  # members of that import end with a comma


def missing_import(
    text: str, offset: int, path: Path, index: RepoIndex, tree: Tree | None = None
) -> str | None:
    """The text to insert at the cursor (`offset` in `text`, the file at `path` in the
    index's workspace) when it is where an import goes and the file reads a name it never
    binds that the workspace can import; None otherwise."""
    parser = languages.parser(PYTHON)
    if parser is None:
        return None
    site = _site(text, offset)
    if site is None:
        return None
    if site.line_before_cursor.strip():
        # A line being typed (`from sh`) leaves the rest of the file in one parse error:
        # the file is judged without it.
        offset -= len(site.line_before_cursor)
        text = text[:offset] + text[offset + len(site.line_before_cursor) :]
        tree = None
    tree = tree or parser.parse(text.encode())
    site = _in_tree(site, tree, text, offset)
    if site is None:
        return None
    names = unbound_names(tree)[:NAMES_LOOKED_UP]
    if not names:
        return None
    current = path.resolve().relative_to(index.root).as_posix()
    sources = {name: _sources(name, current, index) for name in names}
    if site.module is not None:
        line = _member(site.module, site.comma, names, sources, current, index)
    else:
        imports = imports_of(text, tree)
        line = _statement(names, sources, imports, current, index.root)
    if line is None:
        return None
    typed = site.line_before_cursor.lstrip()
    if not line.startswith(typed) or line == typed:
        return None
    return line[len(typed) :]


# --- where the cursor is --------------------------------------------------------------------


def _site(text: str, offset: int) -> Site | None:
    """The cursor at the end of its line, having typed nothing or the start of a line."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    rest = text[offset : len(text) if line_end < 0 else line_end]
    if rest.strip():
        return None
    return Site(None, text[line_start:offset], False)


def _in_tree(site: Site, tree: Tree, text: str, offset: int) -> Site | None:
    """The site with what the syntax tree says of it: inside a parenthesized import (which
    module), on a line of its own next to an import statement, or neither (None)."""
    position = len(text[:offset].encode())
    statement = _enclosing_import(tree.root_node.descendant_for_byte_range(position, position))
    line_start = len(text[: text.rfind("\n", 0, offset) + 1].encode())
    if statement is not None and statement.start_byte < line_start:
        module = statement.child_by_field_name("module_name")
        opened = any(c.type == "(" and c.end_byte <= position for c in statement.children)
        if statement.type != "import_from_statement" or not opened or module is None:
            return None
        members = _text(statement).rstrip().rstrip(")").rstrip()
        return Site(_text(module), site.line_before_cursor, members.endswith(","))
    if site.line_before_cursor.strip() and not _could_start_import(site.line_before_cursor):
        return None
    lines = text.split("\n")
    number = text.count("\n", 0, offset)
    neighbours = [n for n in (number - 1, number + 1) if 0 <= n < len(lines)]
    if any(_begins_or_ends_import(tree, lines, n) for n in neighbours):
        return site
    at_top_level = not site.line_before_cursor[:1].isspace()
    return site if at_top_level and _in_file_head(tree, position) else None


def _in_file_head(tree: Tree, position: int) -> bool:
    """Whether nothing but imports, the docstring and comments comes before `position`."""
    for node in tree.root_node.children:
        if node.start_byte >= position:
            return True
        if node.type in (*IMPORT_STATEMENTS, "comment"):
            continue
        if node.type == "expression_statement" and all(
            child.type == "string" for child in node.named_children
        ):
            continue  # the docstring
        if node.type in ("if_statement", "try_statement") and "import" in _text(node):
            continue  # `if TYPE_CHECKING:`, `try: import x`
        return False
    return True


def _enclosing_import(node: Node | None) -> Node | None:
    while node is not None and node.type not in IMPORT_STATEMENTS:
        node = node.parent
    return node


def _text(node: Node) -> str:
    return node.text.decode(errors="replace") if node.text is not None else ""


def _could_start_import(typed: str) -> bool:
    word = typed.strip()
    return (
        "import ".startswith(word)
        or "from ".startswith(word)
        or word.startswith(("import ", "from "))
    )


def _begins_or_ends_import(tree: Tree, lines: list[str], number: int) -> bool:
    """Whether line `number` begins or ends an import statement."""
    line = lines[number]
    if not line.strip():
        return False
    column = len(line[: len(line) - len(line.lstrip())].encode())
    statement = _enclosing_import(
        tree.root_node.descendant_for_point_range((number, column), (number, column))
    )
    return statement is not None and number in (statement.start_point[0], statement.end_point[0])


# --- names the file reads and never binds ---------------------------------------------------


def unbound_names(tree: Tree) -> list[str]:
    """The names the file reads that nothing in it binds and that are not builtins, in the
    order of their first use; [] when a star import could bind anything."""
    query = languages.query(PYTHON, "definitions")
    if query is None:
        return []
    bound = {
        node.text.decode()
        for nodes in QueryCursor(query).captures(tree.root_node).values()
        for node in nodes
        if node.text is not None
    }
    reads, star_import = _read_identifiers(tree.root_node)
    if star_import:
        return []
    found = dict.fromkeys(name for name in reads if name not in bound and name not in BUILTIN_NAMES)
    return list(found)


def _read_identifiers(root: Node) -> tuple[list[str], bool]:
    """The identifiers read as variables, in document order (not attribute names, nothing
    in an import statement, a `case` pattern or a part the parser could not place), and
    whether the file has a star import."""
    reads: list[str] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in (*IMPORT_STATEMENTS, "case_pattern", "ERROR"):
            if any(child.type == "wildcard_import" for child in node.children):
                return reads, True
            continue
        if node.type == "identifier" and node.text is not None:
            parent = node.parent
            is_attribute = (
                parent is not None
                and parent.type == "attribute"
                and parent.child_by_field_name("attribute") == node
            )
            if not is_attribute:
                reads.append(node.text.decode())
        stack.extend(reversed(node.children))
    return reads, False


# --- where a name can come from -------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    module: str  # absolute, dotted
    whole_module: bool  # `import name` rather than `from module import name`


def _sources(name: str, current: str, index: RepoIndex) -> Counter[Source]:
    """How often the workspace's other files import `name` from each module; failing that,
    the workspace modules that define it at their top level, or the standard library module
    of that name."""
    imported: Counter[Source] = Counter()
    defined: Counter[Source] = Counter()
    windows = index.windows_with([name, "import"], [current], WINDOWS_PER_NAME)
    windows += index.windows_with([name, "def"], [current], WINDOWS_PER_NAME)
    windows += index.windows_with([name, "class"], [current], WINDOWS_PER_NAME)
    for path, lines, start in windows:
        for number in range(start, min(start + WINDOW_LINES, len(lines))):
            source = _imported_by_line(lines, number, name, path, index.root)
            if source is not None:
                imported[source] += 1
            elif _defines(lines[number], name):
                defined[Source(_module_of(path, index.root), False)] += 1
    if imported:
        return imported
    if defined:
        return defined
    if name in sys.stdlib_module_names and not name.startswith("_"):
        return Counter({Source(name, True): 1})
    return Counter()


def _imported_by_line(
    lines: list[str], number: int, name: str, path: str, root: Path
) -> Source | None:
    line = lines[number]
    if (plain := _PLAIN_IMPORT.match(line)) and plain.group(1) == name:
        return Source(name, True)
    if (statement := _FROM_IMPORT.match(line)) and not statement.group(2).startswith("("):
        imported = [part.strip() for part in statement.group(2).split("#")[0].split(",")]
        if name in imported:
            return Source(_absolute(statement.group(1), path, root), False)
        return None
    member = _MEMBER_LINE.match(line)
    if member is None or member.group(1) != name:
        return None
    for above in range(number - 1, max(-1, number - MEMBER_LINES), -1):
        if opener := _FROM_IMPORT_OPEN.match(lines[above]):
            return Source(_absolute(opener.group(1), path, root), False)
        if not _MEMBER_LINE.match(lines[above]) and lines[above].strip():
            return None
    return None


def _defines(line: str, name: str) -> bool:
    """Whether a line at the top level of its file defines `name`."""
    return bool(re.match(rf"(?:async\s+def|def|class)\s+{name}\b|{name}\s*(?::[^=]*)?=(?!=)", line))


def _package_parts(path: str, root: Path) -> list[str]:
    """The dotted package of a workspace file: its folders below the root, without a `src`
    folder that holds the packages."""
    parts = Path(path).parent.parts
    if parts and parts[0] == "src" and not (root / "src" / "__init__.py").is_file():
        parts = parts[1:]
    return list(parts)


def _module_of(path: str, root: Path) -> str:
    parts = _package_parts(path, root)
    stem = Path(path).stem
    return ".".join(parts if stem == "__init__" else [*parts, stem])


def _absolute(module: str, path: str, root: Path) -> str:
    """A module as written in the file at `path`, relative imports made absolute."""
    dots = len(module) - len(module.lstrip("."))
    if not dots:
        return module
    package = _package_parts(path, root)
    base = package[: len(package) - (dots - 1)] if dots - 1 <= len(package) else []
    rest = module[dots:]
    return ".".join([*base, *([rest] if rest else [])])


def _written(module: str, imports: list[Imported], current: str, root: Path) -> str:
    """`module` as the current file would write it: as it already writes an import from
    that module; else relative or absolute as most of its imports from its own project."""
    package = _package_parts(current, root)
    relative = absolute = 0
    for imported in imports:
        if _absolute(imported.module, current, root) == module:
            return imported.module
        if imported.module.startswith("."):
            relative += 1
        elif package and imported.module.split(".")[0] == package[0]:
            absolute += 1
    parts = module.split(".")
    shared = 0
    while shared < min(len(package), len(parts)) and package[shared] == parts[shared]:
        shared += 1
    if not shared or relative <= absolute:
        return module
    return "." * (len(package) - shared + 1) + ".".join(parts[shared:])


# --- the line to offer ----------------------------------------------------------------------


def _statement(
    names: list[str],
    sources: dict[str, Counter[Source]],
    imports: list[Imported],
    current: str,
    root: Path,
) -> str | None:
    """A new import statement for the first name with a source, with the other names that
    come from the same module."""
    for name in names:
        if not sources[name]:
            continue
        source = sources[name].most_common(1)[0][0]
        if source.whole_module:
            return f"import {source.module}"
        together = [other for other in names if source in sources[other]]
        module = _written(source.module, imports, current, root)
        return f"from {module} import {', '.join(sorted(together, key=_isort_key))}"
    return None


def _isort_key(name: str) -> tuple[int, str]:
    """isort's default order: constants, then classes, then the rest, each alphabetically."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


def _member(
    written: str,
    comma: bool,
    names: list[str],
    sources: dict[str, Counter[Source]],
    current: str,
    index: RepoIndex,
) -> str | None:
    """The first name the parenthesized import from `written` provides, as a member line."""
    module = _absolute(written, current, index.root)
    for name in names:
        if any(source.module == module for source in sources[name]) or _module_defines(
            module, name, index
        ):
            return name + ("," if comma else "")
    return None


def _module_defines(module: str, name: str, index: RepoIndex) -> bool:
    """Whether the workspace file of `module` defines `name` at its top level."""
    for path, lines, start in index.windows_with([name], (), WINDOWS_PER_NAME):
        if _module_of(path, index.root) == module and any(
            _defines(line, name) for line in lines[start : start + WINDOW_LINES]
        ):
            return True
    return False
