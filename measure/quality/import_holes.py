"""How right the missing-import lookup (checks/missing_imports.py) is on real files, without
a model: each single-line import statement at the top level of each file, removed in turn,
is a hole (is what the lookup offers there that line?), and a new blank line after each
import statement of the intact file is a place where nothing is missing (anything offered
there is wrong). The same for the member lists of one-line imports ("members" rows): the
last member of each such list of several, cut with the cursor after the comma before it,
and a comma typed after the whole list, where nothing is missing.

    python -m codegen_complete.measure.quality.import_holes PROJECT...

Each PROJECT is a workspace root, indexed in memory first. Prints a table per language.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from codegen_complete.checks.missing_imports import missing_import
from codegen_complete.context import languages
from codegen_complete.context.index.repo import SUFFIXES, RepoIndex

LONGEST_FILE = 200_000  # characters; longer files are left out, as the index leaves them
# A one-line import of several members, up to its last, the last, and the rest of the line.
_PYTHON_MEMBERS = re.compile(r"(\s*from\s+\S+\s+import\s+[^()#\n]*,\s*)(\w+)(\s*)")
_SCRIPT_MEMBERS = re.compile(
    r"(\s*import\s+(?:type\s+)?\{[^}]*,\s*)([\w$]+)(\s*\}\s*from\s+['\"][^'\"]+['\"];?\s*)"
)


# The file, its workspace's index and its language: what every question asks about.
Asked = tuple[Path, RepoIndex, languages.LanguageSpec]


@dataclass
class Tally:
    holes: int = 0
    offered: int = 0
    right: int = 0
    intact: int = 0  # blank lines added after an import of an intact file
    offered_on_intact: int = 0
    milliseconds: list[float] = field(default_factory=list)

    def ask_at_hole(self, expected: str, text: str, offset: int, asked: Asked) -> None:
        """What is offered at a hole cut from the file: is it `expected`?"""
        started = time.perf_counter()
        offer = missing_import(text, offset, *asked)
        self.milliseconds.append((time.perf_counter() - started) * 1000)
        self.holes += 1
        if offer is not None:
            self.offered += 1
            self.right += offer.strip() == expected

    def ask_where_nothing_is_missing(self, text: str, offset: int, asked: Asked) -> None:
        self.intact += 1
        self.offered_on_intact += missing_import(text, offset, *asked) is not None


def with_blank_line(lines: list[str], number: int, replace: bool) -> tuple[str, int]:
    """The text with line `number` made blank (`replace`) or a blank line inserted before
    it, and the offset of that blank line."""
    changed = [*lines[:number], "", *lines[number + 1 if replace else number :]]
    return "\n".join(changed), sum(len(line) + 1 for line in lines[:number])


def last_member(line: str) -> tuple[str, str, str] | None:
    """A one-line import of several members (none renamed) split at its last member: the
    text before it, the member, the text after it."""
    match = _PYTHON_MEMBERS.fullmatch(line) or _SCRIPT_MEMBERS.fullmatch(line)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.suffix in SUFFIXES and not path.name.endswith(".d.ts") and path.is_file():
            yield path


def measure(root: Path, tallies: dict[str, Tally]) -> None:
    index = RepoIndex(root)
    index.refresh()
    for path in _files(root):
        language = languages.detect(path)
        language_parser = languages.parser(language) if language else None
        rules = languages.missing_import_rules(language) if language else None
        if language is None or language_parser is None or rules is None:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if len(text) > LONGEST_FILE:
            continue
        tally = tallies[language.name]
        lines = text.split("\n")
        statements = [
            node
            for node in language_parser.parse(text.encode()).root_node.children
            if node.type in rules.statements
        ]
        asked = (path, index, language)
        for node in statements:
            if node.start_point[0] == node.end_point[0] and node.start_point[1] == 0:
                hole, offset = with_blank_line(lines, node.start_point[0], replace=True)
                tally.ask_at_hole(lines[node.start_point[0]].strip(), hole, offset, asked)
            intact, offset = with_blank_line(lines, node.end_point[0] + 1, replace=False)
            tally.ask_where_nothing_is_missing(intact, offset, asked)
            if node.start_point[0] == node.end_point[0]:
                _member_holes(lines, node.start_point[0], tallies, asked)
    index.close()


def _member_holes(lines: list[str], number: int, tallies: dict[str, Tally], asked: Asked) -> None:
    """Line `number`'s last member cut, the cursor where it was; a comma typed after the
    whole list."""
    split = last_member(lines[number])
    if split is None:
        return
    before, member, after = split
    tally = tallies[f"{asked[2].name} members"]
    line_start = sum(len(line) + 1 for line in lines[:number])
    cut = "\n".join([*lines[:number], before + after, *lines[number + 1 :]])
    tally.ask_at_hole(member, cut, line_start + len(before), asked)
    typed = before + member + ", "
    whole = "\n".join([*lines[:number], typed + after.lstrip(), *lines[number + 1 :]])
    tally.ask_where_nothing_is_missing(whole, line_start + len(typed), asked)


def table(tallies: dict[str, Tally]) -> str:
    rows = [
        "| language | import lines (members) removed | offered | right | right when offered | "
        "offers where nothing is missing | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, t in sorted(tallies.items()):
        times = sorted(t.milliseconds) or [0.0]
        rows.append(
            f"| {name} | {t.holes} | {t.offered} | {t.right} | "
            f"{100 * t.right / max(1, t.offered):.1f}% | {t.offered_on_intact} of {t.intact} | "
            f"{statistics.median(times):.1f} | {times[int(0.95 * (len(times) - 1))]:.1f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("projects", nargs="+", type=Path, help="workspace roots")
    args = parser.parse_args(argv)
    tallies: dict[str, Tally] = defaultdict(Tally)
    for root in args.projects:
        measure(root.resolve(), tallies)
    print(table(tallies))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
