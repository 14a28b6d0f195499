"""The repository index at scale: build time, size, memory, and the time a search adds to a
request, on a real tree of about 10,000 source files.

    python -m codegen_complete.measure.speed.index_time [ROOT] [--queries 300]

ROOT defaults to this interpreter's site-packages (real code, thousands of files). The index
is built from scratch in a temporary folder, then queried from random places of random files
(the 10 lines above a random line, as a request does), then asked for a missing import
where one goes (a random top-level import line of a random Python file made blank, as
checks/missing_imports.py is asked at such a place), then refreshed with nothing changed (a
restart). Prints one table.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sysconfig
import tempfile
import time
from pathlib import Path

from codegen_complete.checks.missing_imports import missing_import
from codegen_complete.context import languages
from codegen_complete.context.index.repo import SUFFIXES, RepoIndex
from codegen_complete.measure.quality.import_holes import with_blank_line
from codegen_complete.measure.speed.bench_engines import memory_mb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "root", nargs="?", type=Path, default=Path(sysconfig.get_paths()["purelib"])
    )
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--max-files", type=int, default=10_000, help="index at most this many")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as cache:
        rss_before = memory_mb("VmRSS")
        index = RepoIndex.for_workspace(args.root, Path(cache))
        built = index.refresh(max_files=args.max_files)
        files, windows, size = index.stats()
        rss_after = memory_mb("VmRSS")
        indexed = index.indexed_paths()
        paths = [
            p
            for p in index.workspace.files(SUFFIXES)
            if p.relative_to(index.root).as_posix() in indexed
        ]
        timings = []
        hits = 0
        for _ in range(args.queries):
            path = rng.choice(paths)
            text = index.workspace.read(path) or ""
            lines = text.split("\n")
            cut = rng.randrange(len(lines))
            before = "\n".join(lines[:cut])
            exclude = {path.relative_to(index.root).as_posix()}
            started = time.perf_counter()
            hits += bool(index.search(before, exclude))
            timings.append((time.perf_counter() - started) * 1000)
        lookups = _missing_import_times(index, paths, rng, args.queries)
        restart = index.refresh(max_files=args.max_files)
        index.close()
    timings.sort()
    print(f"root: {args.root}")
    print("| files | windows | build s | size MB | RSS growth MB | search p50 ms | p95 ms | "
          "found something | missing import p50 ms | p95 ms | restart refresh s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {files} | {windows} | {built.seconds:.1f} | {size / 1e6:.0f} | "
        f"{rss_after - rss_before:.0f} | {statistics.median(timings):.1f} | "
        f"{timings[int(len(timings) * 0.95)]:.1f} | {hits}/{args.queries} | "
        f"{statistics.median(lookups):.1f} | {lookups[int(len(lookups) * 0.95)]:.1f} | "
        f"{restart.seconds:.1f} |"
    )
    return 0


def _missing_import_times(
    index: RepoIndex, paths: list[Path], rng: random.Random, count: int
) -> list[float]:
    """Milliseconds the missing-import lookup takes at `count` import lines of random Python
    files, each made blank (the file's syntax tree given, as the server has it)."""
    python = languages.detect("x.py")
    python_parser = languages.parser(python) if python else None
    assert python is not None and python_parser is not None
    candidates = [path for path in paths if path.suffix == ".py"]
    timings: list[float] = []
    while len(timings) < count and candidates:
        path = rng.choice(candidates)
        lines = (index.workspace.read(path) or "").split("\n")
        imports = [n for n, line in enumerate(lines) if line.startswith(("import ", "from "))]
        if not imports:
            candidates.remove(path)
            continue
        text, offset = with_blank_line(lines, rng.choice(imports), replace=True)
        tree = python_parser.parse(text.encode())
        started = time.perf_counter()
        missing_import(text, offset, path, index, python, tree)
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


if __name__ == "__main__":
    raise SystemExit(main())
