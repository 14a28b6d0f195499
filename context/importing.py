"""What a language's import rules give cross-file context: the file's imports, the workspace
file each one points to, and that file's definitions as short summaries."""

from __future__ import annotations

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
class Source:
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
    """One language's rules (a module implements them: context/python_imports.py, ...)."""

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
