"""The wheel holds one import namespace, codegen_complete; no top-level `server` or `context`."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_holds_only_the_codegen_complete_namespace(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("codegen_complete-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"codegen_complete", wheel.name.split("-py3")[0] + ".dist-info"}
    for package in ("server", "completion", "checks", "context", "models", "measure"):
        assert f"codegen_complete/{package}/__init__.py" in names
        assert f"codegen_complete/{package}/py.typed" in names
    assert "codegen_complete/server/cli.py" in names
    assert "codegen_complete/measure/fixtures/bench_prompt.txt" in names
    # Every package of the checkout ships (pyproject lists them one by one), with its queries.
    for package in ("server", "completion", "checks", "context", "models", "measure"):
        for init in (REPO / package).rglob("__init__.py"):
            module = init.relative_to(REPO).as_posix()
            assert f"codegen_complete/{module}" in names, f"{module} is not in the wheel"
    for query in (REPO / "context" / "languages").rglob("*.scm"):
        shipped = f"codegen_complete/{query.relative_to(REPO).as_posix()}"
        assert shipped in names, f"{shipped} is not in the wheel"


def test_no_top_level_packages_leak_into_the_environment(tmp_path: Path) -> None:
    code = (
        "import importlib.util as u;"
        "print([n for n in ('server', 'checks', 'context', 'completion', 'models', 'measure')"
        " if u.find_spec(n)])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
