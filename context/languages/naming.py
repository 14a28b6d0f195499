"""What a language's name check reports, and the shape of the check a room provides."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tree_sitter import Tree

from codegen_complete.context.languages.spec import LanguageSpec


@dataclass(frozen=True)
class Unresolved:
    name: str
    offset: int  # where it starts in the suggestion


class NameCheck(Protocol):
    """A room's `names.unresolved`: the names `suggestion` (between `before` and `after` of
    the file at `path`, in the workspace `root`) uses that resolve nowhere, in order."""

    def __call__(
        self,
        suggestion: str,
        before: str,
        after: str,
        language: LanguageSpec,
        path: Path | None,
        root: Path | None,
        tree: Tree | None = None,
    ) -> list[Unresolved]: ...


class MemberNames(Protocol):
    """A room's `names.members_at`: the names the member written at the cursor (`cart.|`)
    may take, or None where that cannot be known (or the cursor is at no member)."""

    def __call__(
        self,
        before: str,
        after: str,
        language: LanguageSpec,
        path: Path | None,
        root: Path | None,
        tree: Tree | None,
    ) -> frozenset[str] | None: ...
