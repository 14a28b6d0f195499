"""Context gathering time: a 5,000-line Python file in a 500-file workspace.

    .venv/bin/python -m codegen_complete.measure.speed.context_time

Builds the workspace in a temporary folder (25 packages of 20 modules), opens a 5,000-line
file that imports from ten of them, with three other files open, gathers context once (the
first index), then at 100
random cursor positions, with the document's tree kept as the LSP server keeps it, and
prints p50/p95 in ms (and the same when the file is re-parsed each time, as the CLI does).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from codegen_complete.context.documents import Document
from codegen_complete.context.gather import gather_context

PACKAGES, MODULES, LINES = 25, 20, 5000


def module_source(package: int, module: int) -> str:
    parts = [f'"""Module {package}.{module}."""\n\nLIMIT_{package}_{module} = {module}\n']
    for index in range(8):
        parts.append(
            f"\n\ndef compute_{module}_{index}(value: int, scale: float = 1.0) -> float:\n"
            f'    """Scale value number {index}."""\n'
            f"    return value * scale + {index}\n"
        )
    parts.append(
        f"\n\nclass Service{module}:\n"
        f'    """Service {module}."""\n\n'
        f"    retries = 3\n\n"
        f"    def run(self, job: str) -> bool:\n"
        f'        """Run a job."""\n'
        f"        return bool(job)\n"
    )
    return "".join(parts)


def build_workspace(root: Path) -> Path:
    for package in range(PACKAGES):
        folder = root / f"pkg{package}"
        folder.mkdir()
        (folder / "__init__.py").write_text("")
        for module in range(MODULES):
            (folder / f"mod{module}.py").write_text(module_source(package, module))
    imports = [
        f"from pkg{p}.mod{p % MODULES} import compute_{p % MODULES}_1, Service{p % MODULES}"
        for p in range(10)
    ]
    body: list[str] = []
    while len(body) < LINES:
        p = len(body) % 10
        body += [
            f"def step_{len(body)}(x):",
            f"    service = Service{p % MODULES}()",
            f"    return compute_{p % MODULES}_1(x, scale=2.0) + service.retries",
            "",
        ]
    current = root / "main.py"
    current.write_text("\n".join([*imports, "", "", *body[:LINES]]) + "\n")
    return current


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):6.2f} ms   p95 {p95:6.2f} ms"


def main() -> None:
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        current = build_workspace(root)
        text = current.read_text()
        document = Document.open(text, path=str(current))
        # Three other files open in the editor, as the LSP server would pass them.
        neighbours = [(p, p.read_text()) for p in sorted(root.glob("pkg1/mod*.py"))[:3]]
        started = time.perf_counter()
        first = gather_context(text, len(text) // 2, current, root, document.tree, neighbours)
        print(f"workspace: {PACKAGES * MODULES} modules; current file {text.count(chr(10))} lines")
        print(
            f"first gathering (builds the index): {(time.perf_counter() - started) * 1000:.1f} ms,"
            f" {len(first)} definitions"
        )
        for label, use_tree in (("with the document's tree", True), ("re-parsing the file", False)):
            samples = []
            for _ in range(100):
                offset = rng.randrange(len(text))
                started = time.perf_counter()
                tree = document.tree if use_tree else None
                gather_context(text, offset, current, root, tree, neighbours)
                samples.append((time.perf_counter() - started) * 1000)
            print(f"{label:26} {percentiles(samples)}")


if __name__ == "__main__":
    main()
