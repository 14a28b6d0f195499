"""What a language's import rules give cross-file context: the file's imports, the workspace
file each one points to, and that file's definitions as short summaries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tree_sitter import Node, Tree

from codegen_complete.context.workspace import Workspace


@dataclass(frozen=True)
class Imported:
    local_name: str  # the name the current file uses
    module: str  # as written: "pkg.mod", ".mod", "." (Python); "./cart", "@/lib" (JavaScript)
    # The imported name ("x" in `from m import x`, `import {x} from "m"`; "default" for a
    # default import); None when the whole module is bound (`import m`, `import * as m`).
    name: str | None


@dataclass(frozen=True)
class ImportSource:
    """Where a name can be imported from: the module, absolute (dotted in Python; a package,
    or a path from the workspace root, in JavaScript), and how the name is imported: "from"
    or "module" (`import name`) in Python; "named", "default" or "namespace" in JavaScript."""

    module: str
    kind: str
    # How the line found writes it, where the language has a choice (a JavaScript quote);
    # not part of what the source is.
    style: str = field(default="", compare=False)


@dataclass(frozen=True)
class Listing:
    """A one-line import's member list, up to the cursor."""

    module: str  # as written
    listed: tuple[str, ...]  # the names it binds before the cursor
    word: str  # the start of a name typed at the cursor ("" for none)
    # What goes before a name offered at the cursor: " " after a comma, "" after a space.
    separator: str


@dataclass(frozen=True)
class Definition:
    path: Path  # the file that defines it
    name: str
    summary: str  # signature-level source text
    order: int  # position in its file, to keep blocks in file order


class ImportRules(Protocol):
    """One language's rules (a module implements them: context/languages/python/imports.py, ...)."""

    def imports_of(
        self, source: str, tree: Tree | None = None, path: Path | None = None
    ) -> list[Imported]: ...

    def resolve(
        self, item: Imported, current: Path, workspace: Workspace
    ) -> tuple[Path | None, list[str] | None]:
        """The file an import points to and the names it takes (None: the whole module)."""
        ...

    def definitions_of(self, path: Path, source: str) -> dict[str, Definition]: ...

    def package_files(self, folder: Path) -> list[Path]:
        """The files of a package that `resolve` named by its folder (Go, Java `.*`)."""
        ...


def node_text(node: Node | None) -> str:
    return node.text.decode(errors="replace") if node is not None and node.text else ""


class MissingImportRules(Protocol):
    """One language's part: its import statements, its bindings, its import lines."""

    statements: tuple[str, ...]  # node types of import statements
    definition_words: tuple[str, ...]  # words a window defining a name holds ("def", ...)

    def could_start(self, typed: str) -> bool:
        """Whether the text typed on the line could start an import statement."""
        ...

    def member_module(self, statement: Node, position: int) -> str | None:
        """The module as written, when `position` is inside the statement's member list."""
        ...

    def one_line_members(self, typed: str, rest: str) -> Listing | None:
        """The member list of a one-line import that the cursor continues, between the text
        `typed` on the line before it and the `rest` after it (`from m import a, |`)."""
        ...

    def member_order(self, names: list[str]) -> list[str]:
        """Names in the order the language's tools sort an import's members."""
        ...

    def may_precede_imports(self, node: Node) -> bool:
        """Whether a top-level node belongs in the file's head (comments, a docstring...)."""
        ...

    def unbound_names(self, tree: Tree, root: Path) -> list[str]:
        """Names read and never bound, in order of first use ([] when unknowable)."""
        ...

    def source_on_line(
        self, lines: list[str], number: int, name: str, path: str, root: Path
    ) -> ImportSource | None:
        """What line `number` of the file at workspace path `path` imports `name` from."""
        ...

    def definition_on_line(
        self, line: str, name: str, path: str, root: Path
    ) -> ImportSource | None:
        """The import of `name` from the file at `path`, if this line defines it there."""
        ...

    def exports(self, module: str, root: Path) -> frozenset[str]:
        """The names a workspace module exports, where the language declares them (none
        where any top-level definition is importable: those are found by definition)."""
        ...

    def fallback(self, name: str) -> ImportSource | None:
        """A source without the workspace (a module of the standard library)."""
        ...

    def absolute(self, written: str, current: str, root: Path) -> str:
        """A module as written in the file at `current`, made absolute."""
        ...

    def statement(
        self,
        names: list[str],
        sources: dict[str, Counter[ImportSource]],
        text: str,
        tree: Tree,
        current: str,
        root: Path,
    ) -> str | None:
        """The import statement to offer for the first names with a source."""
        ...
