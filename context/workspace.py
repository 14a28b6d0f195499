"""Which workspace files may be read into a prompt.

Never a file outside the workspace root (symlinks are resolved first), never one that looks
like a secret (.env files, private keys, credentials), never one the workspace's .gitignore
files exclude, nothing under VCS, dependency or build folders, and nothing large or binary.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from codegen_complete.context.source import SourceError, read_source

SECRET_PATTERNS = (
    ".env", ".env.*", "*.env", "*.pem", "*.key", "*.p12", "*.pfx", "*.keystore", "*.jks",
    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", ".netrc", ".pgpass", ".npmrc", ".pypirc",
    "credentials*", "*secret*", "*.kdbx", ".htpasswd",
)  # fmt: skip
SKIPPED_FOLDERS = {
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache",
    ".ruff_cache", ".pytest_cache", "dist", "build", "target", ".idea", ".vscode",
}  # fmt: skip
MAX_CONTEXT_FILE_BYTES = 512 * 1024


def resolved(path: Path) -> Path | None:
    """`path` with its symlinks resolved; None when no file can be there: a symlink loop, a
    NUL byte, a name too long (a client or a disk can hand us any of these)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a loop, before Python 3.13
        return None


def is_secret(path: Path) -> bool:
    name = path.name.lower()
    return any(fnmatch.fnmatch(name, pattern) for pattern in SECRET_PATTERNS)


def why_private(path: Path, root: Path | None) -> str | None:
    """Why the text of the file at `path` must stay on this machine (the rules that keep a
    file out of context, applied to the file being completed), or None when it may go to a
    remote server."""
    if is_secret(path):
        return f"{path.name} looks like a secret file"
    if root is not None:
        workspace = Workspace(root)
        if workspace.contains(path) and not workspace.may_show(path):
            return f"{path.name} is ignored in the workspace (.gitignore or a dependency folder)"
    return None


@dataclass(frozen=True)
class IgnoreRule:
    base: Path  # the folder of the .gitignore that holds the rule
    pattern: str
    negated: bool
    directory_only: bool
    anchored: bool

    def matches(self, path: Path, is_dir: bool) -> bool:
        if self.directory_only and not is_dir:
            return False
        try:
            relative = path.relative_to(self.base).as_posix()
        except ValueError:
            return False
        if self.anchored:
            return fnmatch.fnmatch(relative, self.pattern)
        return fnmatch.fnmatch(path.name, self.pattern) or fnmatch.fnmatch(
            relative, f"*/{self.pattern}"
        )


def parse_gitignore(path: Path) -> list[IgnoreRule]:
    rules = []
    for raw in path.read_text(errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line.removeprefix("!")
        directory_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        rules.append(IgnoreRule(path.parent, line.lstrip("/"), negated, directory_only, anchored))
    return rules


@dataclass
class Workspace:
    root: Path
    _rules: dict[Path, list[IgnoreRule]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()

    def _rules_for(self, folder: Path) -> list[IgnoreRule]:
        """The .gitignore rules that apply inside `folder`: the root's down to its own."""
        parts = folder.relative_to(self.root).parts
        rules: list[IgnoreRule] = []
        for depth in range(len(parts) + 1):
            current = self.root.joinpath(*parts[:depth])
            if current not in self._rules:
                gitignore = current / ".gitignore"
                self._rules[current] = parse_gitignore(gitignore) if gitignore.is_file() else []
            rules += self._rules[current]
        return rules

    def _ignored(self, path: Path, is_dir: bool) -> bool:
        ignored = False
        for rule in self._rules_for(path.parent):
            if rule.matches(path, is_dir):
                ignored = not rule.negated
        return ignored

    def contains(self, path: Path) -> bool:
        """Whether `path` (after resolving symlinks) lies inside the workspace root."""
        real = resolved(path)
        return real is not None and real.is_relative_to(self.root)

    def allowed(self, path: Path) -> bool:
        """Whether the file may go into a prompt."""
        real = resolved(path)
        return real is not None and real.is_file() and self.may_show(path)

    def may_show(self, path: Path) -> bool:
        """Whether a file by this name may go into a prompt, whether or not it is on disk yet
        (an editor's buffer that was never saved): inside the root, not secret-looking, not
        in a skipped or ignored folder, not ignored itself."""
        real = resolved(path)
        if real is None or not real.is_relative_to(self.root) or is_secret(real):
            return False
        relative = real.relative_to(self.root)
        if any(part in SKIPPED_FOLDERS for part in relative.parts[:-1]):
            return False
        current = self.root
        for part in relative.parts[:-1]:
            current = current / part
            if self._ignored(current, is_dir=True):
                return False
        return not self._ignored(real, is_dir=False)

    def read(self, path: Path) -> str | None:
        """The file's text when it is allowed and readable, else None."""
        if not self.allowed(path):
            return None
        try:
            if path.stat().st_size > MAX_CONTEXT_FILE_BYTES:
                return None
            return read_source(path)
        except (OSError, SourceError):
            return None

    def files(self, suffixes: tuple[str, ...]) -> Iterator[Path]:
        """Allowed files with these suffixes, walking the tree once."""
        for folder, subfolders, names in os.walk(self.root):
            subfolders[:] = [s for s in subfolders if s not in SKIPPED_FOLDERS]
            for name in names:
                path = Path(folder) / name
                if path.suffix in suffixes and self.allowed(path):
                    yield path
