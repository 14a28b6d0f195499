"""Python's part of the missing import (checks/missing_imports.py): which names a file reads
and never binds, what another file's line imports, and the line to offer."""

from __future__ import annotations

import bisect
import functools
import re
import sys
from collections import Counter
from pathlib import Path

from tree_sitter import Node, QueryCursor, Tree

from codegen_complete.context import languages
from codegen_complete.context.languages.importing import ImportSource, Listing, node_text
from codegen_complete.context.languages.python import PYTHON
from codegen_complete.context.languages.python.imports import imports_of
from codegen_complete.context.languages.python.names import BUILTIN_NAMES

# Files that mark a Python project's folder: its imports start there (or in its `src`).
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
# How far above a member of a parenthesized import its `from m import (` may be.
MEMBER_LINES = 100

# A module as an import writes it: dots, then a dotted name. (Not `\.*[\w.]*`: both parts
# would match a dot, and a line of dots would take quadratic time to reject.)
_MODULE = r"(\.*(?:\w[\w.]*)?)"
_FROM_IMPORT = re.compile(rf"\s*from\s+{_MODULE}\s+import\s+(.*)$")
_FROM_IMPORT_OPEN = re.compile(rf"\s*from\s+{_MODULE}\s+import\s*\(\s*(#.*)?$")
_PLAIN_IMPORT = re.compile(r"\s*import\s+([\w.]+)\s*(#.*)?$")
_MEMBER_LINE = re.compile(r"\s*(\w+)(?:\s+as\s+(\w+))?\s*,?\s*(#.*)?$")
# `from m import a, b as c, ` and a name begun after it: a one-line member list being continued.
_ONE_LINE = re.compile(rf"\s*from\s+{_MODULE}\s+import\s+((?:\w+(?:\s+as\s+\w+)?\s*,\s*)*)(\w*)")


class PythonRules:
    statements: tuple[str, ...] = (
        "import_statement", "import_from_statement", "future_import_statement",
    )  # fmt: skip
    definition_words: tuple[str, ...] = ("def", "class")

    def could_start(self, typed: str) -> bool:
        word = typed.strip()
        return (
            "import ".startswith(word)
            or "from ".startswith(word)
            or word.startswith(("import ", "from "))
        )

    def member_module(self, statement: Node, position: int) -> str | None:
        """`from m import (`: the members follow the parenthesis."""
        module = statement.child_by_field_name("module_name")
        opened = any(c.type == "(" and c.end_byte <= position for c in statement.children)
        if statement.type != "import_from_statement" or not opened or module is None:
            return None
        return node_text(module)

    def one_line_members(self, typed: str, rest: str) -> Listing | None:
        match = _ONE_LINE.fullmatch(typed)
        if match is None or rest.strip() or not match.group(1):
            return None
        listed = tuple(member.split()[-1] for member in match.group(2).split(",") if member.strip())
        return Listing(match.group(1), listed, match.group(3), " " if typed.endswith(",") else "")

    def member_order(self, names: list[str]) -> list[str]:
        return sorted(names, key=_isort_key)

    def may_precede_imports(self, node: Node) -> bool:
        if node.type == "comment":
            return True
        if node.type == "expression_statement":
            return all(child.type == "string" for child in node.named_children)  # docstring
        # `if TYPE_CHECKING:` and `try: import x` blocks of imports
        return node.type in ("if_statement", "try_statement") and "import" in node_text(node)

    def unbound_names(self, tree: Tree, root: Path) -> list[str]:
        """[] when a star import could bind anything."""
        definitions, reads = (
            languages.query(PYTHON, "definitions"),
            languages.query(PYTHON, "reads"),
        )
        if definitions is None or reads is None:
            return []
        found = QueryCursor(reads).captures(tree.root_node)
        if found.get("star"):
            return []
        bound = {
            node_text(node)
            for nodes in QueryCursor(definitions).captures(tree.root_node).values()
            for node in nodes
        }
        members = {node.id for node in found.get("member", [])}
        skipped = _merged(sorted((n.start_byte, n.end_byte) for n in found.get("not_read", [])))
        starts = [start for start, _ in skipped]
        unbound: dict[str, None] = {}
        for node in sorted(found.get("identifier", []), key=lambda n: n.start_byte):
            name = node_text(node)
            if name in bound or name in BUILTIN_NAMES or name in unbound or node.id in members:
                continue
            at = bisect.bisect_right(starts, node.start_byte) - 1
            if at >= 0 and skipped[at][1] >= node.end_byte:  # inside an import, a pattern...
                continue
            unbound[name] = None
        return list(unbound)

    def source_on_line(
        self, lines: list[str], number: int, name: str, path: str, root: Path
    ) -> ImportSource | None:
        line = lines[number]
        if (plain := _PLAIN_IMPORT.match(line)) and plain.group(1) == name:
            return ImportSource(name, "module")
        if (statement := _FROM_IMPORT.match(line)) and not statement.group(2).startswith("("):
            imported = [part.split() for part in statement.group(2).split("#")[0].split(",")]
            if [name] in imported or [name, "as", name] in imported:  # `x as x` re-exports
                return ImportSource(self.absolute(statement.group(1), path, root), "from")
            return None
        member = _MEMBER_LINE.match(line)
        if member is None or member.group(1) != name or member.group(2) not in (None, name):
            return None
        for above in range(number - 1, max(-1, number - MEMBER_LINES), -1):
            if opener := _FROM_IMPORT_OPEN.match(lines[above]):
                return ImportSource(self.absolute(opener.group(1), path, root), "from")
            if not _MEMBER_LINE.match(lines[above]) and lines[above].strip():
                return None
        return None

    def definition_on_line(
        self, line: str, name: str, path: str, root: Path
    ) -> ImportSource | None:
        """A definition at the top level of its file: `def`, `class` or an assignment."""
        word = re.escape(name)
        pattern = rf"(?:async\s+def|def|class)\s+{word}\b|{word}\s*(?::[^=]*)?=(?!=)"
        return ImportSource(_module_of(path, root), "from") if re.match(pattern, line) else None

    def exports(self, module: str, root: Path) -> frozenset[str]:
        return frozenset()  # every top-level name is importable: found by definition

    def fallback(self, name: str) -> ImportSource | None:
        """A public module of the standard library (`threading.Thread`)."""
        if name in sys.stdlib_module_names and not name.startswith("_"):
            return ImportSource(name, "module")
        return None

    def absolute(self, written: str, current: str, root: Path) -> str:
        """Relative imports (`..x`) made absolute from the file at `current`."""
        dots = len(written) - len(written.lstrip("."))
        if not dots:
            return written
        package = _package_parts(current, root)
        base = package[: len(package) - (dots - 1)] if dots - 1 <= len(package) else []
        rest = written[dots:]
        return ".".join([*base, *([rest] if rest else [])])

    def statement(
        self,
        names: list[str],
        sources: dict[str, Counter[ImportSource]],
        text: str,
        tree: Tree,
        current: str,
        root: Path,
    ) -> str | None:
        """`from m import a, b` for the first name with a source and the others it has."""
        for name in names:
            if not sources[name]:
                continue
            source = sources[name].most_common(1)[0][0]
            if source.kind == "module":
                return f"import {source.module}"
            together = [other for other in names if source in sources[other]]
            module = self._written(source.module, text, tree, current, root)
            return f"from {module} import {', '.join(sorted(together, key=_isort_key))}"
        return None

    def _written(self, module: str, text: str, tree: Tree, current: str, root: Path) -> str:
        """`module` as the current file would write it: as it already writes an import from
        that module; else relative or absolute as most of its imports from its project."""
        package = _package_parts(current, root)
        relative = absolute = 0
        for imported in imports_of(text, tree):
            if self.absolute(imported.module, current, root) == module:
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


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted byte ranges joined where they overlap (a parse error inside an import...)."""
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _package_parts(path: str, root: Path) -> list[str]:
    """The dotted package of a workspace file: its folders below the folder imports start
    from (_import_root)."""
    folders = Path(path).parent.parts
    return list(folders[_import_root(folders, root) :])


@functools.lru_cache(maxsize=1024)
def _import_root(folders: tuple[str, ...], root: Path) -> int:
    """How many of a file's folders (below the workspace root) lie above the folder its
    imports start from: the nearest one holding a project file (`pyproject.toml`...), as a
    monorepo's `packages/python/` is, or its `src` folder; else the workspace root, or its
    `src` folder when that holds the packages."""
    for depth in range(len(folders), -1, -1):
        folder = root.joinpath(*folders[:depth])
        if any((folder / name).is_file() for name in PROJECT_FILES):
            has_src = depth < len(folders) and folders[depth] == "src"
            return (
                depth + 1 if has_src and not (folder / "src" / "__init__.py").is_file() else depth
            )
    return 1 if folders[:1] == ("src",) and not (root / "src" / "__init__.py").is_file() else 0


def _module_of(path: str, root: Path) -> str:
    parts = _package_parts(path, root)
    stem = Path(path).stem
    return ".".join(parts if stem == "__init__" else [*parts, stem])


def _isort_key(name: str) -> tuple[int, str]:
    """isort's default order: constants, then classes, then the rest, each alphabetically."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower()


RULES = PythonRules()
