"""The one-way imports the design relies on, checked by walking every module's syntax tree
(imports inside functions included):

    server → measure → models → completion → checks → context

Each package may import its own modules and those to its right; nothing imports leftwards.
Outside libraries with one home: pygls and lsprotocol in the LSP server (and the measurements'
LSP clients that drive it); torch, transformers and onnxruntime-genai in the
exporter (and the benchmark's transformers comparator, run in a child process of its own).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ORDER = ("server", "measure", "models", "completion", "checks", "context")
CONFINED = {
    "pygls": {
        "server/lsp.py",
        "server/languageserver.py",
        "server/protocol.py",
        "measure/editor/lspclient.py",
        "measure/editor/replay.py",
    },
    "lsprotocol": {
        "server/lsp.py",
        "server/languageserver.py",
        "server/protocol.py",
        "measure/editor/lspclient.py",
        "measure/editor/replay.py",
        "measure/editor/soak.py",
    },
    "torch": {"models/export.py", "measure/speed/bench_engines.py"},
    "transformers": {"models/export.py", "measure/speed/bench_engines.py"},
    "onnxruntime_genai": {"models/export.py"},
    # The network: only the remote backend, and only when the user configures one.
    "httpx": {"completion/remote/backend.py"},
}


def imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            # `from codegen_complete import server` names the package in the alias.
            if node.module == "codegen_complete":
                names += [f"codegen_complete.{alias.name}" for alias in node.names]
    return names


def violations(root: Path) -> list[str]:
    found = []
    for package in ORDER:
        allowed = set(ORDER[ORDER.index(package) :])
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            for name in imported_modules(path):
                parts = name.split(".")
                if parts[0] == "codegen_complete" and len(parts) > 1 and parts[1] not in allowed:
                    found.append(f"{relative} imports {name}: {package} may not use {parts[1]}")
                homes = CONFINED.get(parts[0])
                if homes is not None and relative not in homes:
                    found.append(f"{relative} imports {name}, which belongs in {sorted(homes)}")
    return found


def test_imports_flow_one_way() -> None:
    assert violations(REPO) == []


def room_intrusions(root: Path) -> list[str]:
    """Imports of a language's room (context/languages/<room>/) from outside it: the shared
    code reaches a language only through the registry (context/languages/__init__.py)."""
    languages = root / "context" / "languages"
    rooms = {path.parent.name for path in languages.glob("*/__init__.py")}
    found = []
    for package in ORDER:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            home = relative.parts[2] if relative.parts[:2] == ("context", "languages") else None
            for name in imported_modules(path):
                parts = name.split(".")
                if parts[:3] == ["codegen_complete", "context", "languages"] and len(parts) > 3:
                    room = parts[3]
                    if room in rooms and room != home:
                        found.append(f"{relative.as_posix()} imports {name}")
    return found


def test_only_the_registry_knows_the_rooms() -> None:
    assert room_intrusions(REPO) == []


def test_a_room_imported_by_shared_code_is_caught(tmp_path: Path) -> None:
    for package in ORDER:
        (tmp_path / package).mkdir()
    rooms = tmp_path / "context" / "languages"
    for room in ("python", "go"):
        (rooms / room).mkdir(parents=True)
        (rooms / room / "__init__.py").write_text("")
    (rooms / "go" / "names.py").write_text(
        "from codegen_complete.context.languages.go import GO\n"  # its own room: fine
        "from codegen_complete.context.languages.spec import LanguageSpec\n"  # shared: fine
    )
    (rooms / "python" / "names.py").write_text(
        "from codegen_complete.context.languages.go.names import RULES\n"
    )
    (tmp_path / "checks" / "namecheck.py").write_text(
        "from codegen_complete.context.languages.python import names\n"
    )
    assert room_intrusions(tmp_path) == [
        "checks/namecheck.py imports codegen_complete.context.languages.python",
        "context/languages/python/names.py imports codegen_complete.context.languages.go.names",
    ]


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    for package in ORDER:
        (tmp_path / package).mkdir()
    (tmp_path / "context" / "bad.py").write_text(
        "def f():\n    from codegen_complete.completion.engine import Engine\n"
    )
    (tmp_path / "completion" / "worse.py").write_text("from codegen_complete import server\n")
    (tmp_path / "models" / "lsp.py").write_text("import pygls.server\n")
    (tmp_path / "server" / "fine.py").write_text(
        "from codegen_complete.context import languages\nimport numpy\n"
    )
    problems = violations(tmp_path)
    assert len(problems) == 3, problems
    assert any("context/bad.py" in p and "completion" in p for p in problems)
