"""The fresh cross-file suite: holes cut from real projects first published in 2025, after the
default model's training data, so it cannot have memorized them (tests/fixtures/vendor/fresh).

    # writes tests/fixtures/vendor/fresh/holes.json:
    python -m codegen_complete.measure.quality.fresh cut

How the holes are cut: in each project, files of 30-5,000 lines (.py, .mjs, .js; not
secret-looking), lines of code (at least 8 characters, not blank, not a comment, not inside
a docstring); a seeded random draw of HOLES_PER_PROJECT lines per project, each tagged "dev"
or "test" by the same draw. The hole is the line after its indentation; the cursor sits at
the indentation, the rest of the file follows, and only that file is open (as in an editor
with one buffer). Changes are tuned on the "dev" half only; "test" is read once per change.
The holes were drawn before anything was measured on them and are never redrawn.

The no-model floor (`lookup`): suggest the line that most often follows the line above the
cursor elsewhere in the project (the hole's own file as it is with the hole).
"""

from __future__ import annotations

import itertools
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from codegen_complete.context.workspace import is_secret
from codegen_complete.measure.quality.data import VENDOR

FRESH = VENDOR / "fresh"
SUFFIXES = (".py", ".mjs", ".js")
HOLES_PER_PROJECT = 24
SEED = 2025
COMMENT_STARTS = ("#", "//", "/*", "*", "@")


def source_files(project: Path) -> list[Path]:
    return sorted(
        path
        for path in project.rglob("*")
        if path.suffix in SUFFIXES and path.is_file() and not is_secret(path)
    )


def is_code_line(line: str) -> bool:
    """Long enough to be worth a hole (8 characters) and not a comment."""
    stripped = line.strip()
    return len(stripped) >= 8 and not stripped.startswith(COMMENT_STARTS)


def hole_lines(text: str) -> list[int]:
    """Indexes of the lines a hole may be cut at."""
    candidates = []
    in_docstring = False
    for index, line in enumerate(text.split("\n")):
        stripped = line.strip()
        triple = stripped.count('"""') + stripped.count("'''")
        inside = in_docstring
        if triple % 2:
            in_docstring = not in_docstring
        if inside or triple:  # a docstring's lines, and those that open or close one
            continue
        if is_code_line(stripped):
            candidates.append(index)
    return candidates


Key = TypeVar("Key", str, Path)
Item = TypeVar("Item")


def round_robin(pools: dict[Key, list[Item]], count: int) -> list[Item]:
    """Up to `count` items drawn one from each pool in turn (pools in key order, each giving
    its last item first): a draw spread evenly over projects."""
    drawn: list[Item] = []
    while len(drawn) < count and any(pools.values()):
        for key in sorted(pools):
            if pools[key] and len(drawn) < count:
                drawn.append(pools[key].pop())
    return drawn


def cut(
    root: Path = FRESH, per_project: int = HOLES_PER_PROJECT, seed: int = SEED
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    holes = []
    for project in sorted(p for p in root.iterdir() if p.is_dir()):
        pool = []
        for path in source_files(project):
            text = path.read_text(encoding="utf-8")
            if 30 <= text.count("\n") <= 5_000:
                pool += [(path, line) for line in hole_lines(text)]
        for path, line in sorted(rng.sample(pool, min(per_project, len(pool)))):
            holes.append({
                "project": project.name,
                "file": path.relative_to(project).as_posix(),
                "line": line + 1,
                "split": rng.choice(("dev", "test")),
            })  # fmt: skip
    return holes


@dataclass
class NextLines:
    """For each line of a project (stripped), how often each line follows it."""

    follows: dict[str, Counter[str]]

    @classmethod
    def of(cls, texts: list[str]) -> NextLines:
        index = cls({})
        for text in texts:
            index.add(text)
        return index

    def add(self, text: str) -> None:
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        for above, below in itertools.pairwise(lines):
            self.follows.setdefault(above, Counter())[below] += 1

    def suggest(self, before: str) -> str:
        """The most frequent follower of the last non-blank line of `before`."""
        above = next((line.strip() for line in reversed(before.split("\n")) if line.strip()), "")
        counts = self.follows.get(above)
        return counts.most_common(1)[0][0] if counts else ""


def lookup(project: Path, current: Path, text: str, offset: int) -> str:
    """The no-model floor at `offset` of `current` (whose text is `text`, with the hole): at a
    line's start, the line that most often follows the line above in the project; after
    text on the line, the most frequent rest of the project's lines that start with it."""
    files = (
        source_files(project) if current.suffix in SUFFIXES else project.rglob("*" + current.suffix)
    )
    others = [path.read_text(encoding="utf-8") for path in files if path != current]
    typed = text[text.rfind("\n", 0, offset) + 1 : offset].strip()
    if not typed:
        return NextLines.of([*others, text]).suggest(text[:offset])
    rests: Counter[str] = Counter()
    for source in [*others, text]:
        for line in source.split("\n"):
            stripped = line.strip()
            if stripped.startswith(typed) and len(stripped) > len(typed):
                rests[stripped[len(typed) :]] += 1
    return rests.most_common(1)[0][0] if rests else ""


def repeated_elsewhere(case_id: str, expected: str, root: Path = FRESH) -> bool:
    """Whether the hole's line stands verbatim elsewhere in its project (other files, or its
    own file apart from the hole): the holes a lookup or a retrieval can answer."""
    project, rest = case_id.split("/", 1)
    file, line = rest.split(" ")[0].rsplit(":", 1)
    for path in source_files(root / project):
        lines = [x.strip() for x in path.read_text(encoding="utf-8").split("\n")]
        if path == root / project / file:
            del lines[int(line) - 1]
        if expected in lines:
            return True
    return False


def compare(outcome_files: list[Path], root: Path = FRESH) -> str:
    """Exact match and edit similarity per row (each `--outcomes` file's modes) on the dev and
    test halves and on the holes whose line exists elsewhere; flips against the first row."""
    rows: dict[str, dict[str, dict[str, object]]] = {}
    for path in outcome_files:
        for record in map(json.loads, path.read_text().splitlines()):
            if record["suite"] == "fresh":
                label = f"{path.stem}:{record['mode']}"
                rows.setdefault(label, {})[record["id"]] = record
    first = next(iter(rows.values()))
    expected = {case_id: str(r["expected"]) for case_id, r in first.items() if "expected" in r}
    elsewhere = {c for c, line in expected.items() if repeated_elsewhere(c, line, root)}
    out = [
        f"{len(first)} holes; {len(elsewhere)} have their line elsewhere in the project",
        "| row | dev EM | test EM | all EM | Python EM | JavaScript EM | all edit sim. | "
        "EM where the line exists elsewhere | EM where it does not | "
        "right only here / only in the first row |",
        "|" + "---|" * 10,
    ]
    for label, records in rows.items():

        def em(ids: set[str], records: dict[str, dict[str, object]] = records) -> str:
            chosen = [records[i] for i in ids if i in records]
            return f"{100 * sum(bool(r['exact']) for r in chosen) / max(1, len(chosen)):.1f}"

        ids = set(records)
        dev = {i for i in ids if i.endswith(" dev")}
        python = {i for i in ids if i.split(" ")[0].rsplit(":", 1)[0].endswith(".py")}
        similarity = sum(float(str(r["similarity"])) for r in records.values()) / len(records)
        gains = sum(bool(records[i]["exact"]) and not first[i]["exact"] for i in ids & set(first))
        losses = sum(not records[i]["exact"] and bool(first[i]["exact"]) for i in ids & set(first))
        out.append(
            f"| {label} | {em(dev)} | {em(ids - dev)} | {em(ids)} | {em(python)} | "
            f"{em(ids - python)} | {100 * similarity:.1f} | "
            f"{em(ids & elsewhere)} | {em(ids - elsewhere)} | {gains} / {losses} |"
        )
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1:2] == ["compare"]:
        print(compare([Path(name) for name in sys.argv[2:]]))
    elif sys.argv[1:] == ["cut"]:
        holes = cut()
        (FRESH / "holes.json").write_text(json.dumps(holes, indent=1) + "\n")
        print(f"{len(holes)} holes in {len({h['project'] for h in holes})} projects")
    else:
        raise SystemExit(f"usage: python -m {__name__} cut | compare OUTCOMES.jsonl...")
