"""Cut the multi-language cross-file suite's holes (tests/fixtures/multilang/holes.json).

    python -m codegen_complete.measure.quality.multilang_holes    # rewrites holes.json

The projects under tests/fixtures/multilang/ are real code (two each in TypeScript, Go, Rust,
Java and C; see the README there). A hole is a line that uses a name declared in ANOTHER file
of the same project: completing it well takes context from beyond the open file, which is
what the suite measures. The holes are cut by this script alone, the same way every run (no
randomness, no model, nobody picking lines), and the script never uses the product's own
import resolver: the suite judges that resolver, so it must not be shaped by it.

1. Declarations come from simple per-language regular expressions: Go top-level `func`,
   `type`, `var`, `const` (blocks too); Rust top-level `fn`, `struct`, `enum`, `trait`,
   `type`, `union`, `const`, `static`, `macro_rules!`; Java `class`, `interface`, `enum`,
   `record`; TypeScript exported `function`, `class`, `interface`, `type`, `enum`,
   `const`/`let`/`var`; C functions, globals, typedefs, struct/enum/union tags, enum
   constants and `#define` names. Methods are left out on purpose: their names (`new`,
   `get`, `String`) collide with everything.
2. A line is a candidate when, once its strings and comments are blanked, it mentions such a
   name declared in another file and not bound in its own file (declared there, a local
   variable, parameter, field or key there, or imported there from outside the project).
   Not references: a name after `.` or `->` (a member; in Go, unless after the import name
   of one of the project's own packages), a Rust path not starting with `crate::`,
   `super::` or `self::`, in Go an unqualified name of another package's folder, a name
   right after a declaring keyword, a key or parameter name before `:`, one-letter names.
3. Skipped lines: blank, comment, under 10 characters (stripped) or over 100, import,
   include, use, package and mod statements (multi-line ones whole), re-export lists, C
   preprocessor lines, Rust attributes.
4. `after` (the prompt's last line) is the line up to just before its first cross-file name,
   so the completion has to produce that name and the rest of the line.
5. At most HOLES_PER_LANGUAGE holes per language, split evenly between its projects; in each
   project they are spread evenly over the candidates sorted by file then line, at most
   HOLES_PER_FILE from one file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from codegen_complete.measure.quality.data import FIXTURES
from codegen_complete.measure.quality.multilang_scan import (
    DECLARING,
    IDENTIFIER,
    LANGUAGES,
    TS_KEYWORDS,
    TS_MODIFIERS,
    declarations,
    external_names,
    go_internal_aliases,
    go_module,
    import_statements,
    java_packages,
    language_of,
    local_names,
    project_sources,
)

MULTILANG = FIXTURES / "multilang"
HOLES_PER_LANGUAGE = 25
HOLES_PER_FILE = 4
MIN_STRIPPED = 10
MAX_LINE = 100


@dataclass(frozen=True)
class Scope:
    """What one file may reference from the others."""

    language: str
    foreign: set[str]  # declared in another file of the project
    bare: set[str]  # of those, the ones usable unqualified (in Go: the same package's)
    own: set[str]  # declared in this file, or imported here from outside the project
    aliases: set[str]  # Go: the import names of the project's own packages


def first_cross_reference(code: str, scope: Scope) -> int | None:
    """Offset of the first name in the (blanked) line that is declared in another file."""
    for match in IDENTIFIER.finditer(code):
        name = match.group(0)
        if name not in scope.foreign or name in scope.own or len(name) < 2:
            continue
        start, end = match.span()
        before, after = code[:start], code[end:]
        if before.endswith((".", "->")):  # a member, unless after a Go package's name
            qualifier = re.search(r"([A-Za-z_]\w*)\.$", before)
            if not (qualifier and qualifier.group(1) in scope.aliases):
                continue
        elif before.endswith("::"):  # a Rust path: only the crate's own paths
            if not re.search(r"(?<![\w:])(?:crate|super|self)::(?:\w+::)*$", before):
                continue
        elif name not in scope.bare:
            continue
        declaring = re.search(r"\b(\w+!?)\s+$", before)
        if declaring and declaring.group(1) in DECLARING.get(scope.language, ()):
            continue  # the name being declared (an associated type, a nested class...)
        if re.match(r"\s*\??:(?![:=])", after) and (
            not before.strip() or before.rstrip()[-1] in "{(,"
        ):  # a key, field or parameter name
            continue
        if scope.language == "typescript":
            word = re.search(r"([\w$]+)\s+$", before)
            if word and word.group(1) not in TS_KEYWORDS:
                continue  # `x is T` and the like: a keyword, not the name
            line = code.rstrip()
            if (
                TS_MODIFIERS.match(before)
                and re.match(r"\s*(?:<.*>)?\s*\(", after)
                and line.endswith("{")
                and not line.endswith("=> {")
            ):
                continue  # a method's declaration, named like a function elsewhere
        return start
    return None


def candidates(project: Path, language: str) -> list[dict[str, str | int]]:
    """Every line of the project that may be a hole, sorted by file then line."""
    sources = project_sources(project, language)
    exported = {s.path: declarations(s, exported_only=True) for s in sources}
    module = go_module(project) if language == "go" else ""
    packages = java_packages(sources) if language == "java" else set()
    found: list[dict[str, str | int]] = []
    for source in sources:
        folder = source.path.rpartition("/")[0]
        foreign: set[str] = set()
        bare: set[str] = set()
        for path, names in exported.items():
            if path != source.path:
                foreign |= names
                if language != "go" or path.rpartition("/")[0] == folder:
                    bare |= names
        statements = import_statements(source)
        own = declarations(source, exported_only=False) | local_names(source)
        external = external_names(language, statements, packages)
        scope = Scope(
            language, foreign, bare, own | external, go_internal_aliases(statements, module)
        )
        skipped = {index for indexes, _ in statements for index in indexes}
        for index, (line, code) in enumerate(zip(source.lines, source.code, strict=True)):
            stripped = line.strip()
            if (
                index in skipped
                or source.comment_only[index]
                or len(stripped) < MIN_STRIPPED
                or len(line.rstrip()) > MAX_LINE
                or line.endswith("\r")
            ):
                continue
            offset = first_cross_reference(code, scope)
            if offset is None or not line[offset:].strip():
                continue
            found.append({
                "project": project.name,
                "file": source.path,
                "line": index + 1,
                "after": line[:offset],
            })  # fmt: skip
    return found


def spread(items: list[dict[str, str | int]], count: int) -> list[dict[str, str | int]]:
    """`count` items spread evenly over `items`, at most HOLES_PER_FILE from one file: each
    pick is the evenly spaced one, or the next after it whose file still has room."""
    picked: list[int] = []
    per_file: dict[str | int, int] = {}
    for i in range(min(count, len(items))):
        start = (2 * i + 1) * len(items) // (2 * count)
        for step in range(len(items)):
            index = (start + step) % len(items)
            file = items[index]["file"]
            if index not in picked and per_file.get(file, 0) < HOLES_PER_FILE:
                picked.append(index)
                per_file[file] = per_file.get(file, 0) + 1
                break
    return [items[index] for index in sorted(picked)]


def projects_of(language: str, root: Path = MULTILANG) -> list[Path]:
    return sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and any(language_of(f) == language for f in p.rglob("*") if f.is_file())
    )


def shares(total: int, parts: int) -> list[int]:
    """`total` split into `parts` near-equal shares, the larger ones first."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def cut(root: Path = MULTILANG) -> list[dict[str, str | int]]:
    holes: list[dict[str, str | int]] = []
    for language in LANGUAGES:
        projects = projects_of(language, root)
        for project, share in zip(
            projects, shares(HOLES_PER_LANGUAGE, max(1, len(projects))), strict=False
        ):
            holes.extend(spread(candidates(project, language), share))
    return holes


def check(holes: Iterable[dict[str, str | int]], root: Path = MULTILANG) -> None:
    """Every hole's line exists, starts with `after`, and leaves something to complete."""
    for hole in holes:
        path = root / str(hole["project"]) / str(hole["file"])
        lines = path.read_text(encoding="utf-8").split("\n")
        number = int(hole["line"])
        if not 1 <= number <= len(lines):
            raise ValueError(f"{path}:{number} is past the end of the file")
        line = lines[number - 1]
        if not line.startswith(str(hole["after"])) or not line[len(str(hole["after"])) :].strip():
            raise ValueError(f"{path}:{number}: bad hole {hole['after']!r}")


def dump(holes: list[dict[str, str | int]]) -> str:
    """One hole a line, as in tests/fixtures/crossfile/holes.json."""
    return "[\n" + ",\n".join("  " + json.dumps(hole) for hole in holes) + "\n]\n"


if __name__ == "__main__":
    cut_holes = cut()
    check(cut_holes)
    (MULTILANG / "holes.json").write_text(dump(cut_holes))
    for name in LANGUAGES:
        chosen = [h for h in cut_holes if language_of(Path(str(h["file"]))) == name]
        print(f"{name}: {len(chosen)} holes in {len({h['project'] for h in chosen})} projects")
