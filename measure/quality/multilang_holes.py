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

MULTILANG = FIXTURES / "multilang"
HOLES_PER_LANGUAGE = 25
HOLES_PER_FILE = 4
MIN_STRIPPED = 10
MAX_LINE = 100

LANGUAGES: dict[str, tuple[str, ...]] = {
    "typescript": (".ts",),
    "go": (".go",),
    "rust": (".rs",),
    "java": (".java",),
    "c": (".c", ".h"),
}
IDENTIFIER = re.compile(r"(?<![\w$])[A-Za-z_$][\w$]*")

# Declarations, per language.
GO_TOP = re.compile(r"^(?:func|type|var|const)\s+([A-Za-z_]\w*)")
GO_BLOCK_START = re.compile(r"^(?:type|var|const)\s*\(\s*$")
GO_BLOCK_ITEM = re.compile(r"^\t([A-Za-z_]\w*)")
RUST_ITEM = re.compile(
    r"^(?:pub(?:\([^)]*\))?\s+)?(?:(?:const|async|unsafe|extern\s+\"[^\"]*\")\s+)*"
    r"(?:fn|struct|enum|trait|type|union|const|static(?:\s+mut)?|macro_rules!)\s*([A-Za-z_]\w*)"
)
JAVA_TYPE = re.compile(r"\b(?:class|interface|enum|record)\s+([A-Za-z_]\w*)")
TS_EXPORT = re.compile(
    r"^export\s+(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?"
    r"(?:function\*?|class|interface|type|enum|const|let|var|namespace)\s+([A-Za-z_$][\w$]*)"
)
TS_LOCAL = re.compile(
    r"\b(?:function\*?|class|interface|type|enum|const|let|var|namespace)\s+([A-Za-z_$][\w$]*)"
)
C_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)")
C_TAG = re.compile(r"^(?:typedef\s+)?(?:struct|enum|union)\s+([A-Za-z_]\w*)")
C_FUNCTION = re.compile(r"^(?:[A-Za-z_][\w\s\*]*?[\s\*])?([A-Za-z_]\w*)\s*\(")
C_MACRO_CALL_ONLY = re.compile(r"^[A-Z_][A-Z0-9_]*\([^)]*\)\s*$")  # YAML_DECLARE(int)
C_FUNCTION_POINTER = re.compile(r"\(\s*\*\s*([A-Za-z_]\w*)\s*\)")
C_LAST_NAME = re.compile(r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*(?:=.*)?;\s*$")
C_CLOSE_TYPEDEF = re.compile(r"^\}\s*([A-Za-z_]\w*)\s*;")
C_ENUM_MEMBER = re.compile(r"^\s+([A-Za-z_]\w*)\s*(?:=|,|$)")
C_KEYWORDS = frozenset({
    "if", "else", "while", "for", "do", "switch", "case", "default", "return", "sizeof",
    "typedef", "struct", "enum", "union", "static", "extern", "const", "volatile", "inline",
    "void", "int", "char", "long", "short", "unsigned", "signed", "float", "double", "goto",
    "break", "continue", "register", "auto",
})  # fmt: skip

KEY_NAME = re.compile(
    r"(?:^|[(,{])\s*(?:(?:pub(?:\([^)]*\))?|mut|readonly|public|private|protected)\s+)*"
    r"#?([A-Za-z_$][\w$]*)\s*\??:(?![:=])"
)
TS_MODIFIERS = re.compile(
    r"^\s*(?:(?:public|private|protected|static|async|get|set|override|readonly|abstract)\s+)*$"
)
DECLARING: dict[str, frozenset[str]] = {
    "go": frozenset({"func", "type", "var", "const"}),
    "rust": frozenset({"fn", "type", "struct", "enum", "trait", "union", "const", "static",
                       "mod", "let", "macro_rules!"}),
    "java": frozenset({"class", "interface", "enum", "record"}),
    "typescript": frozenset({"function", "class", "interface", "type", "enum", "const", "let",
                             "var", "namespace"}),
}  # fmt: skip
TS_KEYWORDS = frozenset({
    "return", "new", "typeof", "keyof", "extends", "implements", "case", "await", "yield",
    "in", "of", "instanceof", "as", "satisfies", "throw", "delete", "void", "else", "export",
    "default", "const", "let", "var", "type", "readonly", "public", "private", "protected",
    "static", "async", "is", "infer", "declare", "abstract", "override", "unique",
})  # fmt: skip

# Lines that are imports or module plumbing, per language (their first line).
IMPORT_STARTS: dict[str, tuple[str, ...]] = {
    "typescript": ("import ", "import{", "export *", "export {", "export type {"),
    "go": ("import ", "import(", "package "),
    "rust": ("use ", "pub use ", "pub(crate) use ", "mod ", "pub mod ", "pub(crate) mod ",
             "extern crate "),
    "java": ("import ", "package "),
    "c": ("#",),
}  # fmt: skip


@dataclass(frozen=True)
class ProjectFile:
    """One file of a project: its lines, and those lines with strings and comments blanked."""

    path: str
    language: str
    lines: list[str]
    code: list[str]  # same offsets as `lines`; strings and comments replaced by spaces
    comment_only: list[bool]  # the line holds nothing but comment (or is blank)


def language_of(path: Path) -> str | None:
    for language, suffixes in LANGUAGES.items():
        if path.suffix in suffixes and not path.name.endswith(".d.ts"):
            return language
    return None


def blank_strings_and_comments(lines: list[str], language: str) -> tuple[list[str], list[bool]]:
    """Each line with string literals and comments turned into spaces, offsets kept."""
    quotes = {"'", '"', "`"} if language in ("typescript", "go") else {'"'}
    code: list[str] = []
    comment_only: list[bool] = []
    in_block = False
    for line in lines:
        out = list(line)
        i = 0
        had_code = False
        while i < len(line):
            if in_block:
                end = line.find("*/", i)
                stop = len(line) if end < 0 else end + 2
                out[i:stop] = " " * (stop - i)
                in_block = end < 0
                i = stop
                continue
            char = line[i]
            if line.startswith("//", i):
                out[i:] = " " * (len(line) - i)
                break
            if line.startswith("/*", i):
                in_block = True
                continue
            if char == "'" and language not in ("typescript", "go"):
                # A character literal ('x', '\n'); a Rust lifetime ('a) is left alone.
                match = re.match(r"'(?:\\.[^']*|[^\\'])'", line[i:])
                if match:
                    out[i + 1 : i + match.end() - 1] = " " * (match.end() - 2)
                    i += match.end()
                    had_code = True
                    continue
            if char in quotes:
                j = i + 1
                while j < len(line) and line[j] != char:
                    j += 2 if line[j] == "\\" and char != "`" else 1
                out[i + 1 : min(j, len(line))] = " " * (min(j, len(line)) - i - 1)
                i = j + 1
                had_code = True
                continue
            if not char.isspace():
                had_code = True
            i += 1
        code.append("".join(out))
        comment_only.append(not had_code)
    return code, comment_only


def read_source(root: Path, path: Path, language: str) -> ProjectFile:
    lines = path.read_text(encoding="utf-8").split("\n")
    code, comment_only = blank_strings_and_comments(lines, language)
    return ProjectFile(path.relative_to(root).as_posix(), language, lines, code, comment_only)


def declarations(source: ProjectFile, exported_only: bool) -> set[str]:
    """Names the file declares (for TypeScript, only its exports when `exported_only`)."""
    names: set[str] = set()
    language = source.language
    block = False  # inside a Go `const (`/`var (`/`type (` block, or a C enum body
    for line in source.code:
        if language == "go":
            if block:
                block = not line.startswith(")")
                match = GO_BLOCK_ITEM.match(line)
            elif GO_BLOCK_START.match(line):
                block = True
                continue
            else:
                match = GO_TOP.match(line)
            if match:
                names.add(match.group(1))
        elif language == "rust":
            if match := RUST_ITEM.match(line):
                names.add(match.group(1))
        elif language == "java":
            names.update(JAVA_TYPE.findall(line))
        elif language == "typescript":
            if match := TS_EXPORT.match(line):
                names.add(match.group(1))
            if not exported_only:
                names.update(TS_LOCAL.findall(line))
        else:
            names.update(c_declarations(line, block))
            if block:
                block = not line.startswith("}")
            elif re.match(r"^(?:typedef\s+)?enum\b[^;]*$", line):
                block = True
    return names


def local_names(source: ProjectFile) -> set[str]:
    """Names the file binds locally (variables, parameters, fields, object keys): where one
    of them shadows a name of another file, that name is not a cross-file reference here."""
    names: set[str] = set()
    for line in source.code:
        if source.language == "go":
            for left in re.findall(r"((?:[A-Za-z_]\w*\s*,\s*)*[A-Za-z_]\w*)\s*:=", line):
                names.update(IDENTIFIER.findall(left))
            names.update(re.findall(r"\bvar\s+([A-Za-z_]\w*)", line))
            if line.startswith("func"):
                names.update(re.findall(r"[(,]\s*([A-Za-z_]\w*)\s+[\w\[*.]", line))
        elif source.language == "rust":
            names.update(re.findall(r"\blet\s+(?:mut\s+)?([A-Za-z_]\w*)", line))
            names.update(re.findall(r"\bfor\s+([A-Za-z_]\w*)\s+in\b", line))
            names.update(KEY_NAME.findall(line))
        elif source.language == "typescript":
            names.update(KEY_NAME.findall(line))
    return names


def c_declarations(line: str, in_enum: bool) -> set[str]:
    if match := C_DEFINE.match(line) or C_CLOSE_TYPEDEF.match(line):
        return {match.group(1)}
    if in_enum:
        match = C_ENUM_MEMBER.match(line)
        return {match.group(1)} - C_KEYWORDS if match else set()
    if not line or line[0].isspace() or line[0] in "#{}/*":
        return set()
    names: set[str] = set()
    if match := C_TAG.match(line):
        names.add(match.group(1))
    if line.startswith("typedef"):
        pointer = C_FUNCTION_POINTER.search(line)
        last = C_LAST_NAME.search(line)
        found = pointer or last
        if found:
            names.add(found.group(1))
        return names - C_KEYWORDS
    if C_MACRO_CALL_ONLY.match(line):
        return names
    if "(" in line:
        if match := C_FUNCTION.match(line):
            names.add(match.group(1))
    elif match := C_LAST_NAME.search(line):
        names.add(match.group(1))
    return names - C_KEYWORDS


def import_statements(source: ProjectFile) -> list[tuple[list[int], str]]:
    """The file's import/include/use/package/mod statements (and C preprocessor lines, Rust
    attributes): the indexes of their lines and their text, multi-line ones joined."""
    statements: list[tuple[list[int], str]] = []
    starts = IMPORT_STARTS[source.language]
    first = ""  # the first line of the statement being read, while it is open
    for index, (line, code) in enumerate(zip(source.lines, source.code, strict=True)):
        stripped = code.strip()
        if first:
            indexes, text = statements[-1]
            statements[-1] = ([*indexes, index], f"{text} {line.strip()}")
            first = "" if statement_closed(source.language, first, stripped, False) else first
        elif source.language == "rust" and stripped.startswith(("#[", "#![")):
            statements.append(([index], line.strip()))
        elif stripped.startswith(starts):
            statements.append(([index], line.strip()))
            first = "" if statement_closed(source.language, stripped, stripped, True) else stripped
    return statements


def statement_closed(language: str, first: str, stripped: str, opening: bool) -> bool:
    """Whether the statement that began with `first` ends on the line `stripped` (`opening`:
    that line is `first` itself)."""
    if language == "c":
        return not stripped.endswith("\\")
    if language == "go":
        return not stripped.endswith("(") if opening else stripped.startswith(")")
    if language == "typescript":
        return (
            "}" in stripped
            or stripped.endswith(";")
            or bool(re.search(r"\bfrom\s*['\"]", stripped))
            or bool(re.match(r"import\s*['\"]", stripped))
        )
    if language == "rust":
        return stripped.endswith(";") or (" mod " in f" {first}" and stripped.endswith("{"))
    return True


def go_internal_aliases(statements: list[tuple[list[int], str]], module: str) -> set[str]:
    """The names a Go file calls the project's own packages by."""
    aliases: set[str] = set()
    for _, text in statements:
        for alias, path in re.findall(r'(?:([\w.]+)\s+)?"([^"]+)"', text):
            if module and (path == module or path.startswith(module + "/")):
                aliases.add(alias or path.rsplit("/", 1)[-1])
    return aliases


def external_names(
    language: str, statements: list[tuple[list[int], str]], packages: set[str]
) -> set[str]:
    """Names a file imports from outside the project (another crate, an npm package, a Java
    package of no project file): there, such a name is not the project's own."""
    names: set[str] = set()
    for _, text in statements:
        if language == "rust" and text.startswith(("use ", "pub use ", "pub(crate) use ")):
            path = text.split("use ", 1)[1]
            if not path.startswith(("crate::", "super::", "self::")):
                names.update(IDENTIFIER.findall(path))
        elif language == "typescript" and text.startswith("import"):
            module = re.search(r"""\bfrom\s*['"]([^'"]+)['"]""", text)
            if module and not module.group(1).startswith("."):
                names.update(IDENTIFIER.findall(text[: module.start()]))
        elif language == "java" and text.startswith("import "):
            path = text.removeprefix("import ").removeprefix("static ").rstrip(";").strip()
            if not any(path.startswith(package + ".") for package in packages):
                names.add(path.rsplit(".", 1)[-1])
    return names


def java_packages(sources: list[ProjectFile]) -> set[str]:
    packages: set[str] = set()
    for source in sources:
        for line in source.code:
            if match := re.match(r"^package\s+([\w.]+)\s*;", line):
                packages.add(match.group(1))
    return packages


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


def project_sources(project: Path, language: str) -> list[ProjectFile]:
    paths = sorted(
        (p for p in project.rglob("*") if p.is_file() and language_of(p) == language),
        key=lambda p: p.relative_to(project).as_posix(),
    )
    return [read_source(project, path, language) for path in paths]


def go_module(project: Path) -> str:
    go_mod = project / "go.mod"
    if go_mod.is_file():
        match = re.search(r"^module\s+(\S+)", go_mod.read_text(), re.MULTILINE)
        if match:
            return match.group(1)
    return ""


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
