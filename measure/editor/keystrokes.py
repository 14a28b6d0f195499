"""The typing benchmark: what a user gets while typing, scored as keys saved.

    python -m codegen_complete.measure.editor.keystrokes [--places 24] [--split test]
        [--profile realistic] [--scenario jump --scenario write] [--busy]
        [--server LABEL[=DIR]] [--setting [LABEL:]KEY=JSON] [--lookup] [--indexing DIR]

Through `codegen-complete serve` as the editors drive it (server defaults, so `debounceMs`
120; one `didChange` and one automatic inline-completion request per key; the editor cancels
the request of the key before with `$/cancelRequest`), on real files of the fresh suite's
projects (repositories first published in 2025; tests/fixtures/vendor/fresh, its dev and test
halves kept apart), with up to five files open and the workspace index built.

Two scenarios, at places drawn from the fresh suite's holes:
- **jump**: the cursor comes to the line and rests there RESTING_S (the editors send
  `codegenComplete/didFocus`), the line's text after its indentation is deleted (a change and
  a request, as an editor sends them), and after ARRIVAL_S the user types it back;
- **write**: up to WRITE_LINES consecutive lines are removed and written anew, Enter (with the
  editor's auto-indent, one key) between them, as a programmer writing new code.

- **probe**: as a jump, but instead of typing, the user waits for the first answer (its
  latency and whether it is the line), then IDLE_S more, and asks again: the first answer at
  a new place against the one the server gives once it has had time to warm.

The simulated user presses the next key at times drawn from a profile (lognormal with a median
of 170 ms, or a steady 150 ms). A suggestion counts as on screen from the answer to the latest
request until a key disagrees with it (a key that matches it keeps it, shortened, as editors
do); one on screen for at least NOTICE_S that completes the line exactly is accepted with one
key (the rest of the line, and further lines it gets exactly right). With `--accept word` the
user instead takes the suggestion a word at a time (one key a word) while its words match.

Reported per run: keys saved (of the keys the lines need), lines finished by an accepted
suggestion, right on arrival (a line accepted before any of its keys), wrong suggestions on
screen per line (shown for NOTICE_S or more, not a prefix of what the user goes on to type),
request-to-suggestion latency, the server's CPU seconds per line and its peak RSS. `--lookup`
adds the no-model floor (the line that most often follows the line above elsewhere in the
project, answered in-process) on the same places and keys; `--server LABEL=DIR` runs
another checkout's server beside this one (`--server main=DIR --server this`), alternating
place by place; `--setting LABEL:model="qwen2.5-coder-1.5b"` gives one of them another
model. `--indexing DIR` runs each server twice, the second time ("..., indexing")
with DIR as a second workspace folder whose index the server builds afresh at each start
(a big repository's first build, while the user types in the first folder).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import shutil
import sys
import sysconfig
from dataclasses import asdict
from pathlib import Path
from typing import Any

from codegen_complete.measure.editor.editors import (
    Start,
    lookup_start,
    replace_changed,
    server_start,
)
from codegen_complete.measure.editor.places import Task, choose_places, tasks_for
from codegen_complete.measure.editor.realuse import busy_core
from codegen_complete.measure.editor.typist import (
    IDLE_S,
    PASSING_S,
    PROFILES,
    Profile,
    Score,
    Typist,
    probe,
)
from codegen_complete.measure.quality.fresh import FRESH
from codegen_complete.models.catalog import DEFAULT_MODEL

OPEN_FILES = 5
SCENARIOS = ("jump", "write", "probe")
CORPUS_FILES = 10_000  # the big repository --indexing makes


async def run_places(
    tasks: list[Task],
    starts: dict[str, Start],
    profile: Profile,
    seed: int,
    word: bool,
    passing: int = 0,
) -> dict[str, Score]:
    """Every task typed into each editor (`starts`: label → how to start one for a project),
    alternating editors task by task; the same key timings for each. A jump comes to its
    line over `passing` lines above it."""
    scores = {label: Score(label) for label in starts}
    projects = sorted({task.place.project for task in tasks})
    for project in projects:
        root = FRESH / project
        editors = {label: await start(root) for label, start in starts.items()}
        opened: dict[str, list[str]] = {label: [] for label in starts}
        cpu = {label: editor.cpu_s() for label, editor in editors.items()}
        try:
            for number, task in enumerate(t for t in tasks if t.place.project == project):
                path = (root / task.place.file).resolve()
                original = path.read_text(encoding="utf-8")
                for label, editor in editors.items():
                    # Only the editor being measured runs: the others' idle work (warming
                    # the last place's full prompt, seconds of CPU) slowed its first answers.
                    for other in editors.values():
                        if other is editor:
                            other.resume()
                        else:
                            other.pause()
                    uri = path.as_uri()
                    files = opened[label]
                    if uri in files:
                        files.remove(uri)
                    else:
                        editor.open(path, original)
                    files.append(uri)
                    if len(files) > OPEN_FILES:
                        editor.close(files.pop(0))
                    if task.scenario == "probe":
                        await probe(editor, uri, task, scores[label], passing)
                    else:
                        rng = random.Random(seed * 1_000_003 + number)
                        typist = Typist(editor, uri, task, profile, rng, word, passing)
                        await typist.run()
                        typist.add_to(scores[label])
                    replace_changed(editor, uri, original)
                    await asyncio.sleep(0.3)  # between places, as between two jumps
        finally:
            for label, editor in editors.items():
                editor.resume()
                score = scores[label]
                score.cpu_s += editor.cpu_s() - cpu[label]
                score.peak_rss_mb = max(score.peak_rss_mb, editor.peak_rss_mb())
                score.crashed |= editor.crashed
                score.log += editor.log()
                await editor.stop()
    return scores


def probe_table(rows: list[tuple[str, Score]]) -> str:
    out = [
        "| run | places | first answer p50 / p95 ms | first answer is the line % | "
        f"after {IDLE_S:.0f} s idle % | first ÷ after |",
        "|" + "---|" * 6,
    ]
    for label, s in rows:
        ordered = sorted(s.first_answer_s) or [math.nan]
        p50, p95 = (1000 * ordered[min(len(ordered) - 1, int(len(ordered) * f))]
                    for f in (0.5, 0.95))  # fmt: skip
        out.append(
            f"| {label} | {s.tasks} | {p50:.0f} / {p95:.0f} | "
            f"{100 * s.first_exact / max(1, s.tasks):.1f} | "
            f"{100 * s.later_exact / max(1, s.tasks):.1f} | "
            f"{s.first_exact / max(1, s.later_exact):.2f} |"
        )
    return "\n".join(out)


def table(rows: list[tuple[str, Score]]) -> str:
    out = [
        "| run | places | lines | keys saved % | lines accepted % | right on arrival % | "
        "wrong shown / line | suggestion latency p50 / p95 ms | CPU s / line | peak RSS MB |",
        "|" + "---|" * 10,
    ]
    for label, s in rows:
        lines = max(1, s.lines)
        out.append(
            f"| {label} | {s.tasks} | {s.lines} | {s.keys_saved:.1f} | "
            f"{100 * s.lines_accepted / lines:.1f} | {100 * s.right_on_arrival / lines:.1f} | "
            f"{s.wrong_shown / lines:.2f} | {s.latency_ms(0.5):.0f} / {s.latency_ms(0.95):.0f} | "
            f"{s.cpu_s / lines:.2f} | {s.peak_rss_mb:.0f} |"
        )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--places", type=int, default=24, help="per scenario")
    parser.add_argument("--split", choices=("dev", "test", "all"), default="test")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", choices=sorted(PROFILES), action="append", default=None)
    parser.add_argument("--scenario", choices=SCENARIOS, action="append", default=None)
    parser.add_argument("--accept", choices=("line", "word"), default="line")
    parser.add_argument(
        "--passing",
        type=int,
        default=0,
        metavar="LINES",
        help=f"the cursor comes to a jump's line over this many lines above it, "
        f"{PASSING_S} s on each",
    )
    parser.add_argument("--busy", action="store_true", help="with one core busy instead")
    parser.add_argument("--lookup", action="store_true", help="also the no-model lookup")
    parser.add_argument(
        "--indexing",
        type=Path,
        default=None,
        metavar="DIR",
        help="each server also with DIR as a second workspace folder, whose index it builds "
        "afresh at each start (a big repository's first build while the user types); a DIR "
        f"that does not exist is made of {CORPUS_FILES:,} Python files of site-packages",
    )
    parser.add_argument(
        "--server",
        action="append",
        default=None,
        metavar="LABEL[=PYTHONPATH]",
        help="a server to measure, this checkout's or another's (repeatable; default: this)",
    )
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="[LABEL:]KEY=JSON",
        help="a server setting, for every server or (LABEL:) for one (its model, say)",
    )
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args(argv)
    settings: dict[str, Any] = {"model": args.model, "threads": args.threads}
    if args.models_dir is not None:
        settings["modelsDir"] = str(args.models_dir)
    servers = [server.partition("=") for server in args.server or ["this"]]
    own: dict[str, dict[str, Any]] = {label: {} for label, _, _ in servers}
    for setting in args.setting:
        key, _, value = setting.partition("=")
        label, colon, key = key.rpartition(":")
        if colon and label not in own:
            parser.error(f"--setting {setting}: no --server {label}")
        (own[label] if colon else settings)[key] = json.loads(value)

    starts: dict[str, Start] = {}
    for label, _, pythonpath in servers:
        starts[label] = server_start({**settings, **own[label]}, pythonpath or None)
    if args.indexing is not None:
        if not args.indexing.exists():
            copy_corpus(args.indexing, CORPUS_FILES)
        for label, _, pythonpath in servers:
            starts[f"{label}, indexing"] = server_start(
                {**settings, **own[label]}, pythonpath or None, args.indexing
            )
    if args.lookup:
        starts["lookup"] = lookup_start
    holes = json.loads((FRESH / "holes.json").read_text())
    places = choose_places(holes, args.split, args.places, args.seed)
    load = busy_core() if args.busy else None
    results: list[tuple[str, Score]] = []
    try:
        for profile_name in args.profile or ["realistic"]:
            for scenario in args.scenario or ["jump", "write"]:
                tasks = tasks_for(places, scenario)
                word = args.accept == "word"
                run = run_places(
                    tasks, starts, PROFILES[profile_name], args.seed, word, args.passing
                )
                scores = asyncio.run(run)
                for label, score in scores.items():
                    results.append((f"{label}, {profile_name}, {scenario}", score))
    finally:
        if load is not None:
            load.kill()
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{args.threads} threads, {args.split} half, accept by {args.accept}"
        f"{', one core busy' if args.busy else ''}"
    )
    typed = [(label, score) for label, score in results if not label.endswith("probe")]
    probes = [(label, score) for label, score in results if label.endswith("probe")]
    if typed:
        print(table(typed))
    if probes:
        print(probe_table(probes))
    if args.json_out is not None:
        args.json_out.write_text(
            json.dumps([{"run": label, **asdict(score)} for label, score in results], indent=1)
        )
    return 0


def copy_corpus(folder: Path, count: int) -> None:
    """`count` Python files of this environment's site-packages (real code, none over 400 KB),
    copied under `folder` with their paths: a big repository to index."""
    site_packages = Path(sysconfig.get_paths()["purelib"])
    copied = 0
    for path in sorted(site_packages.rglob("*.py")):
        if copied >= count:
            break
        if path.stat().st_size > 400_000:
            continue
        target = folder / path.relative_to(site_packages)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied += 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
