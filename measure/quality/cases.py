"""The evaluation's suites as cases: a document cut at a hole, what belongs there, and (for the
cross-file suites) the file, its workspace, the other open files and the recent edits.

Suites: the public slices of HumanEval infilling and SantaCoder FIM (shared/eval, or any file
of the same format), crossfile and multilang (tests/fixtures), fresh (measure/quality/fresh.py)
and edits (measure/quality/edits.py); evaluation.py's docstring says how each is scored."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from codegen_complete.context.classify import Mode
from codegen_complete.context.edits import EditedRegion
from codegen_complete.context.languages import LanguageSpec, detect
from codegen_complete.measure.quality.data import FIXTURES
from codegen_complete.measure.quality.edits import load_holes, repository_of, workspace
from codegen_complete.measure.quality.fresh import FRESH
from codegen_complete.models.store import cache_home

SUITE_FILES = {
    "humaneval-single": "HumanEval-SingleLineInfilling.dev.jsonl.gz",
    "humaneval-multi": "HumanEval-MultiLineInfilling.dev.jsonl.gz",
    "santacoder": "santacoder-fim-singleline.dev.jsonl.gz",
}
# "edits" replays commits of git repositories the caller names (measure/quality/edits.py),
# "members" holds argument and member holes (measure/quality/member_holes.py): not defaults.
DEFAULT_SUITES = (*SUITE_FILES, "crossfile", "multilang", "fresh")
SUITES = (*DEFAULT_SUITES, "edits", "members")
# The cross-file suites' projects live with the tests of this repository: small projects
# written for the suite (Python), and real ones in five other languages (their README).
CROSSFILE_FIXTURES = FIXTURES / "crossfile"
EDITS_CACHE = cache_home() / "edits"  # the edits suite's commits, unpacked
MULTILANG_FIXTURES = FIXTURES / "multilang"
MEMBER_HOLES = FIXTURES / "members" / "holes.json"
EXTENSIONS = {"py": ".py", "python": ".py", "js": ".js", "javascript": ".js", "java": ".java"}


@dataclass(frozen=True)
class Case:
    id: str
    before: str
    after: str
    expected: str
    mode: Mode
    language: LanguageSpec | None
    # The program to run around a completion (HumanEval); None when scored by match only.
    program_template: tuple[str, str] | None = None  # (before the completion, after it)
    # For the cross-file suites: the file and its workspace, so context can be gathered, and
    # the other open files (None: the workspace's recently modified files stand in).
    path: Path | None = None
    root: Path | None = None
    open_documents: tuple[tuple[Path, str], ...] | None = None
    recent_edits: tuple[EditedRegion, ...] = ()  # newest first


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt") as handle:
        for line in handle:
            yield json.loads(line)


def _every_case(cases: list[Case], limit: int | None) -> list[Case]:
    if limit is None or limit >= len(cases):
        return cases
    return [cases[int(index * len(cases) / limit)] for index in range(limit)]


def _every(rows: list[dict[str, str]], limit: int | None) -> list[dict[str, str]]:
    """`limit` rows spread evenly over the file (the slices are ordered by problem)."""
    if limit is None or limit >= len(rows):
        return rows
    step = len(rows) / limit
    return [rows[int(index * step)] for index in range(limit)]


def load_crossfile(
    fixtures: Path, holes: Path | None = None, split: str | None = None
) -> list[Case]:
    """Holes at lines that use names imported from other files of small projects.

    `holes` (default: fixtures/holes.json) lists {project, file, line, after}, projects
    under `fixtures`: the hole is the rest of that line after the text `after`. The
    argument-and-member suite's also say each hole's kind and split (only `split`'s kept).
    """
    cases = []
    for hole in json.loads((holes or fixtures / "holes.json").read_text()):
        if split is not None and hole.get("split", split) != split:
            continue
        root = fixtures / hole["project"]
        path = root / hole["file"]
        text = path.read_text()
        lines = text.split("\n")
        line = lines[hole["line"] - 1]
        if not line.startswith(hole["after"]):
            raise ValueError(f"{path}:{hole['line']} does not start with {hole['after']!r}")
        before = "\n".join([*lines[: hole["line"] - 1], hole["after"]])
        tags = "".join(f" {hole[tag]}" for tag in ("kind", "split") if tag in hole)
        cases.append(Case(
            id=f"{hole['project']}/{hole['file']}:{hole['line']}{tags}",
            before=before,
            after="\n" + "\n".join(lines[hole["line"] :]),
            expected=line[len(hole["after"]) :],
            mode=Mode.SINGLE_LINE,
            language=detect(path),
            path=path,
            root=root,
        ))  # fmt: skip
    return cases


def _line_case(
    case_id: str,
    path: Path,
    root: Path,
    number: int,
    open_documents: tuple[tuple[Path, str], ...] = (),
    recent_edits: tuple[EditedRegion, ...] = (),
) -> Case:
    """The file's 1-based line `number` as a single-line hole: the cursor at its
    indentation, the line after it to write, the rest of the file after the cursor."""
    lines = path.read_text(encoding="utf-8").split("\n")
    line = lines[number - 1]
    indent = line[: len(line) - len(line.lstrip())]
    return Case(
        id=case_id,
        before="\n".join([*lines[: number - 1], indent]),
        after="\n" + "\n".join(lines[number:]),
        expected=line.strip(),
        mode=Mode.SINGLE_LINE,
        language=detect(path),
        path=path,
        root=root,
        open_documents=open_documents,
        recent_edits=recent_edits,
    )


def load_fresh(fixtures: Path = FRESH, split: str | None = None) -> list[Case]:
    """Holes from projects first published in 2025 (measure/quality/fresh.py), one file open; only
    the `split` half ("dev" or "test") when given."""
    cases = []
    for hole in json.loads((fixtures / "holes.json").read_text()):
        if split is not None and hole["split"] != split:
            continue
        root = fixtures / hole["project"]
        case_id = f"{hole['project']}/{hole['file']}:{hole['line']} {hole['split']}"
        cases.append(_line_case(case_id, root / hole["file"], root, hole["line"]))
    return cases


def load_edits(repos: Sequence[Path], split: str | None = None) -> list[Case]:
    """Commits replayed as an editor saw them (measure/quality/edits.py): the file open with one new
    line cut out, the commit's other files open, its other hunks the recent edits."""
    cases = []
    for hole in load_holes():
        if split is not None and hole.split != split:
            continue
        root = workspace(repository_of(hole.commit, list(repos)), hole.commit, EDITS_CACHE)
        others = sorted({file for file, _, _ in hole.edits} - {hole.file})
        cases.append(_line_case(
            hole.id, root / hole.file, root, hole.line,
            open_documents=tuple(
                (root / file, (root / file).read_text(encoding="utf-8")) for file in others
            ),
            recent_edits=tuple(
                EditedRegion(root / file, first, last) for file, first, last in hole.edits
            ),
        ))  # fmt: skip
    return cases


def load_suite(
    name: str,
    eval_dir: Path,
    limit: int | None = None,
    crossfile_dir: Path = CROSSFILE_FIXTURES,
    split: str | None = None,
    repos: Sequence[Path] = (),
) -> list[Case]:
    if name == "crossfile":
        return _every_case(load_crossfile(crossfile_dir), limit)
    if name == "multilang":
        return _every_case(load_crossfile(MULTILANG_FIXTURES), limit)
    if name == "fresh":
        return _every_case(load_fresh(split=split), limit)
    if name == "members":
        return _every_case(load_crossfile(FIXTURES, MEMBER_HOLES, split), limit)
    if name == "edits":
        return _every_case(load_edits(repos, split), limit)
    path = eval_dir / SUITE_FILES[name]
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (set --eval-dir to shared/eval)")
    rows = _every(list(_rows(path)), limit)
    if name.startswith("humaneval"):
        mode = Mode.SINGLE_LINE if name == "humaneval-single" else Mode.MULTI_LINE
        return [
            Case(
                id=row["task_id"],
                before=row["prompt"],
                after="\n" + row["suffix"],
                expected=row["canonical_solution"],
                mode=mode,
                language=detect("x.py"),
                program_template=(
                    row["prompt"],
                    "\n" + row["suffix"] + "\n" + row["test"] + f"\ncheck({row['entry_point']})\n",
                ),
            )
            for row in rows
        ]
    # The hole is a whole line between the prompt (which lacks its final newline) and the
    # suffix (which starts a line): the cursor sits on an empty line between them, as for
    # HumanEval.
    return [
        Case(
            id=row["name"],
            before=row["prompt"] + "\n",
            after="\n" + row["suffix"],
            expected=row["canonical_solution"],
            mode=Mode.SINGLE_LINE,
            language=detect("x" + EXTENSIONS.get(row["language"], "")),
        )
        for row in rows
    ]
