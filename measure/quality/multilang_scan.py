"""What each file of a multi-language suite project declares and imports, by simple
per-language line scans (never the product's own resolver: the suite judges it). Used by
multilang_holes.py, whose docstring says what counts as a declaration and a reference."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

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
