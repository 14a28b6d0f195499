"""The edit-replay suite: holes cut from commits of repositories first published in 2025, each
replayed as an editor saw it just before one of the commit's new lines was written.

    # writes measure/fixtures/edit_holes.json:
    python -m codegen_complete.measure.quality.edits cut REPO[=HOLES]...
    codegen-complete eval --suite edits --repo REPO ...  # git folders holding those commits

Why: the fresh suite has one file open and no history, so it cannot say whether the places
the user edited lately are worth showing the model. A commit can: its changes to other files
are what the user did just before (a new parameter, and now the call that passes it), and
its other changes to the same file are the lines written minutes ago.

How the holes are cut (once, with a fixed seed, before anything was measured on them): in
each repository, non-merge commits from 2025 on, in a seeded random order; a commit
qualifies when it changes two to twelve files of one language (Python, or
TypeScript/JavaScript) with at most 400 added lines, and at least one of those files existed
before it and gained a line of code (at least 8 characters, not a comment). One hole per
commit, HOLES_PER_REPOSITORY per repository unless told (32 from the one TypeScript
repository, so that each language has a few dozen), each tagged "dev" or "test" by the same
draw.

How a hole is replayed: the repository as the commit left it is the workspace (its index
built from it); the file with the hole is open with that line cut out, after its
indentation; the commit's other files are open too; the recent edits are the commit's other
hunks, newest first: this file's nearest the hole (four at most), then the other files' (eight
in all, as the server keeps).
Pure deletions are not edits the model could be shown.
"""

from __future__ import annotations

import io
import json
import random
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from codegen_complete.context.edits import REGIONS
from codegen_complete.context.languages import SPECS
from codegen_complete.measure.quality.fresh import is_code_line

HOLES = Path(__file__).resolve().parents[1] / "fixtures" / "edit_holes.json"
SEED = 2025
SINCE = "2025-01-01"
HOLES_PER_REPOSITORY = 16
MAX_ADDED_LINES = 400
MAX_FILES = 12
SAME_FILE_EDITS = 4  # of the eight recent edits, the rest are the other files'
LANGUAGES = {".py": "python", ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript",
             ".js": "typescript", ".mjs": "typescript"}  # fmt: skip
PROJECT_FILES = (".gitignore", "package.json", "tsconfig.json", "jsconfig.json", "pyproject.toml",
                 "go.mod", "Cargo.toml", "compile_commands.json")  # fmt: skip
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Hunk:
    old_count: int
    first: int  # 0-based first line on the new side
    added: tuple[str, ...]


@dataclass(frozen=True)
class FileChange:
    path: str
    existed: bool
    hunks: tuple[Hunk, ...]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
        encoding="utf-8", errors="replace",
    ).stdout  # fmt: skip


def changes(repo: Path, commit: str) -> list[FileChange]:
    """The commit's changes against its first parent, hunk by hunk (no context lines)."""
    diff = git(repo, "diff", "--no-renames", "--no-color", "--unified=0", f"{commit}^", commit)
    files: list[FileChange] = []
    path, existed = "", True
    hunks: list[Hunk] = []

    def close_file() -> None:
        if path:
            files.append(FileChange(path, existed, tuple(hunks)))

    for line in diff.split("\n"):
        if line.startswith("diff --git "):
            close_file()
            path, existed, hunks = "", True, []
        elif line.startswith("--- ") and not hunks:
            existed = line != "--- /dev/null"
        elif line.startswith("+++ ") and not hunks:
            path = line[6:] if line.startswith("+++ b/") else ""
        elif match := HUNK.match(line):
            old_count = int(match[2]) if match[2] is not None else 1
            hunks.append(Hunk(old_count, int(match[3]) - 1, ()))
        elif line.startswith("+") and hunks:
            last = hunks[-1]
            hunks[-1] = Hunk(last.old_count, last.first, (*last.added, line[1:]))
    close_file()
    return files


@dataclass(frozen=True)
class EditHole:
    commit: str
    file: str  # the file with the hole, relative to the repository
    line: int  # 1-based, in the commit's version of the file
    edits: tuple[tuple[str, int, int], ...]  # (file, first, last): 0-based, newest first
    split: str

    @property
    def id(self) -> str:
        return f"{self.commit[:10]}/{self.file}:{self.line} {self.split}"


def _language(path: str) -> str | None:
    return LANGUAGES.get(Path(path).suffix)


def hole_of(commit: str, files: list[FileChange], rng: random.Random) -> EditHole | None:
    """The commit's hole, or None when it does not qualify."""
    by_language: dict[str, list[FileChange]] = {}
    for change in files:
        if (language := _language(change.path)) is not None:
            by_language.setdefault(language, []).append(change)
    for language in sorted(by_language):
        changed = by_language[language]
        added = sum(len(h.added) for c in changed for h in c.hunks)
        if not 2 <= len(changed) <= MAX_FILES or added > MAX_ADDED_LINES:
            continue
        places = [
            (change, hunk, offset)
            for change in changed
            if change.existed
            for hunk in change.hunks
            for offset, line in enumerate(hunk.added)
            if is_code_line(line)
        ]
        if not places:
            continue
        change, hunk, offset = rng.choice(places)
        line = hunk.first + offset
        here = sorted(  # this file's other hunks, nearest first, then the other files'
            (h for h in change.hunks if h.added and h is not hunk),
            key=lambda h: abs(h.first - line),
        )
        edits = [
            (change.path, h.first, h.first + len(h.added) - 1) for h in here[:SAME_FILE_EDITS]
        ] + [
            (other.path, h.first, h.first + len(h.added) - 1)
            for other in changed
            if other is not change
            for h in other.hunks
            if h.added
        ]
        return EditHole(
            commit=commit,
            file=change.path,
            line=line + 1,
            edits=tuple(edits[:REGIONS]),
            split=rng.choice(("dev", "test")),
        )
    return None


def cut(repo: Path, rng: random.Random, count: int) -> list[EditHole]:
    commits = git(repo, "log", "--no-merges", f"--since={SINCE}", "--format=%H").split()
    rng.shuffle(commits)
    holes: list[EditHole] = []
    for commit in commits:
        if len(holes) == count:
            break
        parents = git(repo, "rev-list", "--parents", "-n", "1", commit).split()[1:]
        if len(parents) != 1 or not _has(repo, parents[0]):
            continue  # the root commit, or a shallow clone's oldest: nothing to compare with
        try:
            found = changes(repo, commit)
        except subprocess.CalledProcessError:
            continue  # objects missing from a partial clone
        hole = hole_of(commit, found, rng)
        if hole is not None:
            holes.append(hole)
    return holes


def workspace(repo: Path, commit: str, cache: Path) -> Path:
    """The repository as `commit` left it, unpacked once under `cache`: its source files of
    every language the product serves and the files that say how they fit together (a
    snapshot may lack its large binary files, which nothing here reads)."""
    folder = cache / commit
    if not (folder / ".complete").exists():
        suffixes = {extension for spec in SPECS for extension in spec.extensions}
        files = [
            name
            for name in git(repo, "ls-tree", "-r", "--name-only", commit).splitlines()
            if Path(name).suffix in suffixes or Path(name).name in PROJECT_FILES
        ]
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", commit, "--", *files],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        (folder / ".complete").touch()
    return folder


def _has(repo: Path, commit: str) -> bool:
    found = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True
    )
    return found.returncode == 0


def repository_of(commit: str, repos: list[Path]) -> Path:
    for repo in repos:
        if _has(repo, commit):
            return repo
    raise FileNotFoundError(
        f"commit {commit} is in none of the repositories given ({', '.join(map(str, repos))})"
    )


def load_holes(path: Path = HOLES) -> list[EditHole]:
    return [
        EditHole(h["commit"], h["file"], h["line"], tuple(map(tuple, h["edits"])), h["split"])
        for h in json.loads(path.read_text())
    ]


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "cut":
        print("usage: python -m codegen_complete.measure.quality.edits cut REPO[=HOLES]...",
              file=sys.stderr)  # fmt: skip
        return 2
    holes = []
    for argument in argv[1:]:
        name, _, count = argument.partition("=")
        repo = Path(name)
        rng = random.Random(f"{SEED}:{repo.resolve().parent.name}")
        found = cut(repo, rng, int(count or HOLES_PER_REPOSITORY))
        print(f"{repo}: {len(found)} holes", file=sys.stderr)
        holes += found
    HOLES.write_text(json.dumps([h.__dict__ for h in holes], indent=1) + "\n")
    print(f"{len(holes)} holes written to {HOLES}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
