"""Cut the argument-and-member suite's holes (tests/fixtures/members/holes.json).

    python -m codegen_complete.measure.quality.member_holes    # rewrites holes.json
    python -m codegen_complete.measure.quality.member_holes OUTCOMES...  # per-language table

(OUTCOMES: files of `codegen-complete eval --suite members --outcomes FILE`.)

Holes where a suggestion needs names the project declares (issue 29): right after the `(`
of a call that has arguments on the same line (an **argument** hole), and right after the
`.` of a member access (a **member** hole); the expected completion is the rest of the line.
The projects are the fresh suite's (Python and JavaScript, first published in 2025) and the
multi-language suite's (TypeScript, Go, Rust, Java, C). Cut from the syntax trees alone,
the same way every run (a seeded draw, no model, nobody picking lines):

1. Candidates: a `(` token whose parent is an argument list with at least one argument that
   ends on the same line; a `.` token inside a member access (attribute, member, selector,
   field expression, field access, method call) followed by a name on the same line. Not
   in imports (their dotted paths are not member accesses), not on lines over 100
   characters, and the rest of the line is at least 3 characters.
2. Per language and kind, at most HOLES_PER_KIND holes, drawn evenly over the language's
   projects, at most HOLES_PER_FILE from a file; each hole is dev or test by the draw.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tree_sitter import Node

from codegen_complete.context.languages import detect, parser
from codegen_complete.measure.quality.data import FIXTURES
from codegen_complete.measure.quality.fresh import FRESH, round_robin, source_files
from codegen_complete.measure.quality.multilang_scan import language_of

MEMBERS = FIXTURES / "members"
MULTILANG = FIXTURES / "multilang"
HOLES_PER_KIND = 40
HOLES_PER_FILE = 3
SEED = 29
MAX_LINE = 100
ARGUMENT_LISTS = ("argument_list", "arguments")
MEMBER_ACCESSES = (
    "attribute", "member_expression", "selector_expression", "field_expression",
    "field_access", "method_invocation",
)  # fmt: skip


def projects() -> list[Path]:
    """Every project of the two suites, as folders under FIXTURES."""
    fresh = sorted(p for p in FRESH.iterdir() if p.is_dir())
    multilang = sorted(p for p in MULTILANG.iterdir() if p.is_dir())
    return [*fresh, *multilang]


def sources(project: Path) -> list[Path]:
    if project.parent == FRESH:
        return source_files(project)
    return sorted(p for p in project.rglob("*") if p.is_file() and language_of(p))


def _tokens(node: Node) -> Iterator[Node]:
    if node.child_count == 0:
        yield node
        return
    if "import" in node.type:
        return
    for child in node.children:
        yield from _tokens(child)


def candidates(text: str, path: Path) -> Iterator[tuple[str, int, int]]:
    """(kind, 0-based line, column after the `(` or `.`) of each hole the file offers."""
    spec = detect(str(path))
    language_parser = parser(spec) if spec is not None else None
    if language_parser is None:
        return
    data = text.encode()
    lines = text.split("\n")
    for token in _tokens(language_parser.parse(data).root_node):
        parent = token.parent
        if parent is None:
            continue
        row = token.start_point.row
        if token.type == "(" and parent.type in ARGUMENT_LISTS:
            if parent.named_child_count == 0 or parent.end_point.row != row:
                continue
            kind = "argument"
        elif token.type == "." and parent.type in MEMBER_ACCESSES:
            after = token.next_named_sibling
            if after is None or "identifier" not in after.type or after.start_point.row != row:
                continue
            kind = "member"
        else:
            continue
        line = lines[row]
        column = len(data[: token.end_byte].decode().rsplit("\n", 1)[-1])
        if len(line) <= MAX_LINE and len(line[column:].strip()) >= 3:
            yield kind, row, column


def cut(seed: int = SEED) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    pools: dict[tuple[str, str], dict[Path, list[tuple[Path, Path, int, int]]]] = {}
    for project in projects():
        for path in sources(project):
            text = path.read_text(encoding="utf-8")
            spec = detect(str(path))
            if spec is None or not 30 <= text.count("\n") <= 5_000:
                continue
            per_file: dict[str, list[tuple[Path, int, int]]] = {}
            for kind, row, column in candidates(text, path):
                per_file.setdefault(kind, []).append((path, row, column))
            for kind, found in per_file.items():
                chosen = rng.sample(found, min(HOLES_PER_FILE, len(found)))
                pool = pools.setdefault((spec.name, kind), {}).setdefault(project, [])
                pool.extend((project, *hole) for hole in chosen)
    holes = []
    for (language, kind), by_project in sorted(pools.items()):
        for project_holes in by_project.values():
            rng.shuffle(project_holes)
        for project, path, row, column in sorted(round_robin(by_project, HOLES_PER_KIND)):
            line = path.read_text(encoding="utf-8").split("\n")[row]
            holes.append({
                "project": project.relative_to(FIXTURES).as_posix(),
                "file": path.relative_to(project).as_posix(),
                "line": row + 1,
                "after": line[:column],
                "kind": kind,
                "language": language,
                "split": rng.choice(("dev", "test")),
            })  # fmt: skip
    return holes


def table(outcome_files: list[Path]) -> str:
    """Exact match % (and cases) per language, kind and mode, from eval outcome files."""
    exact: dict[tuple[str, str, str], list[bool]] = {}
    for path in outcome_files:
        for record in map(json.loads, path.read_text().splitlines()):
            if record["suite"] != "members":
                continue
            location, kind, _split = record["id"].rsplit(" ", 2)
            spec = detect(location.rsplit(":", 1)[0])
            language = spec.name if spec is not None else "?"
            exact.setdefault((language, kind, record["mode"]), []).append(bool(record["exact"]))
    modes = sorted({mode for _, _, mode in exact})
    out = [
        "| language | kind | cases | " + " | ".join(f"{mode} exact %" for mode in modes) + " |",
        "|" + "---|" * (3 + len(modes)),
    ]
    for language, kind in sorted({(language, kind) for language, kind, _ in exact}):
        rows = [exact.get((language, kind, mode), []) for mode in modes]
        cells = [f"{100 * sum(r) / len(r):.1f}" if r else "—" for r in rows]
        out.append(f"| {language} | {kind} | {max(map(len, rows))} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    if len(sys.argv) > 1:
        print(table([Path(argument) for argument in sys.argv[1:]]))
        return
    holes = cut()
    MEMBERS.mkdir(parents=True, exist_ok=True)
    (MEMBERS / "holes.json").write_text(json.dumps(holes, indent=1) + "\n")
    counts: dict[tuple[str, str], int] = {}
    for hole in holes:
        counts[hole["language"], hole["kind"]] = counts.get((hole["language"], hole["kind"]), 0) + 1
    for (language, kind), count in sorted(counts.items()):
        print(f"{language:12} {kind:9} {count}")


if __name__ == "__main__":
    main()
