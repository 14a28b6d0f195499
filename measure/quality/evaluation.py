"""`codegen-complete eval`: quality on fill-in-the-middle benchmarks, product against naive.

Suites (rows from the public slices in shared/eval, or any file of the same format):
- humaneval-single / humaneval-multi: HumanEval infilling. The hole is one or more whole
  lines, so the cursor sits on an empty line between prefix and suffix; the program
  `prefix + completion + "\\n" + suffix + test + check(entry_point)` runs in a subprocess
  with a 3 s timeout (pass@1, greedy).
- crossfile: holes at lines that use names imported from other files of small projects
  (tests/fixtures/crossfile); exact match; `--context off` is the ablation.
- multilang: the same kind of holes in ten real projects, two each in TypeScript, Go, Rust,
  Java and C (tests/fixtures/multilang, cut by measure/quality/multilang_holes.py).
- fresh: holes from Python and JavaScript repositories first published in 2025 (see
  measure/quality/fresh.py), one file open; the no-model `lookup` mode is its floor.
- edits: commits of 2025 repositories replayed (measure/quality/edits.py): one new line cut out,
  the commit's other files open and its other hunks the recent edits (`--recent-edits off`
  is the ablation); needs the repositories (`--repo`).
- santacoder: single-line FIM in Python, JavaScript and Java; exact match of the stripped
  line. The hole is a whole line, so the cursor sits on an empty line between prompt and
  suffix here too.

Modes: "product" is the shipped pipeline (prompt handling, syntax-aware post-processing);
"naive" is plain FIM with the same model and prompt budget: the first line of the output
(the second when the first is empty), or the raw output for a block; no post-processing.
The single-line suites use single-line mode, the multi-line suite multi-line mode.
"""

from __future__ import annotations

import functools
import gzip
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from codegen_complete.checks.namecheck import unresolved
from codegen_complete.completion.completer import Completer
from codegen_complete.completion.options import DEFAULTS, Options
from codegen_complete.completion.suggest import DocumentSnapshot, suggest
from codegen_complete.context.classify import Mode
from codegen_complete.context.documents import syntax_damage
from codegen_complete.context.edits import EditedRegion
from codegen_complete.context.index.repo import RepoIndex
from codegen_complete.context.languages import LanguageSpec, detect, parser
from codegen_complete.measure.quality.data import FIXTURES
from codegen_complete.measure.quality.edits import load_holes, repository_of, workspace
from codegen_complete.measure.quality.fresh import FRESH, NextLines, lookup
from codegen_complete.measure.quality.naive import naive_complete
from codegen_complete.models.store import cache_home

SUITE_FILES = {
    "humaneval-single": "HumanEval-SingleLineInfilling.dev.jsonl.gz",
    "humaneval-multi": "HumanEval-MultiLineInfilling.dev.jsonl.gz",
    "santacoder": "santacoder-fim-singleline.dev.jsonl.gz",
}
# "edits" replays commits of git repositories the caller names (measure/quality/edits.py):
# not a default.
DEFAULT_SUITES = (*SUITE_FILES, "crossfile", "multilang", "fresh")
SUITES = (*DEFAULT_SUITES, "edits")
# The cross-file suites' projects live with the tests of this repository: small projects
# written for the suite (Python), and real ones in five other languages (their README).
CROSSFILE_FIXTURES = FIXTURES / "crossfile"
EDITS_CACHE = cache_home() / "edits"  # the edits suite's commits, unpacked
MULTILANG_FIXTURES = FIXTURES / "multilang"
EXTENSIONS = {"py": ".py", "python": ".py", "js": ".js", "javascript": ".js", "java": ".java"}
EXECUTION_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Case:
    id: str
    before: str
    after: str
    expected: str
    mode: Mode
    language: LanguageSpec | None
    # The program to run around a completion (HumanEval); None when scored by match only.
    program_template: tuple[str, str] | None = None  # (before the completion, after it)
    # For the cross-file suites: the file and its workspace, so context can be gathered, and
    # the other open files (None: the workspace's recently modified files stand in).
    path: Path | None = None
    root: Path | None = None
    open_documents: tuple[tuple[Path, str], ...] | None = None
    recent_edits: tuple[EditedRegion, ...] = ()  # newest first


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with gzip.open(path, "rt") as handle:
        for line in handle:
            yield json.loads(line)


def _every_case(cases: list[Case], limit: int | None) -> list[Case]:
    if limit is None or limit >= len(cases):
        return cases
    return [cases[int(index * len(cases) / limit)] for index in range(limit)]


def _every(rows: list[dict[str, str]], limit: int | None) -> list[dict[str, str]]:
    """`limit` rows spread evenly over the file (the slices are ordered by problem)."""
    if limit is None or limit >= len(rows):
        return rows
    step = len(rows) / limit
    return [rows[int(index * step)] for index in range(limit)]


def load_crossfile(fixtures: Path) -> list[Case]:
    """Holes at lines that use names imported from other files of small projects.

    `holes.json` lists {project, file, line, after}: the hole is the rest of that line after
    the text `after`.
    """
    cases = []
    for hole in json.loads((fixtures / "holes.json").read_text()):
        root = fixtures / hole["project"]
        path = root / hole["file"]
        text = path.read_text()
        lines = text.split("\n")
        line = lines[hole["line"] - 1]
        if not line.startswith(hole["after"]):
            raise ValueError(f"{path}:{hole['line']} does not start with {hole['after']!r}")
        before = "\n".join([*lines[: hole["line"] - 1], hole["after"]])
        cases.append(Case(
            id=f"{hole['project']}/{hole['file']}:{hole['line']}",
            before=before,
            after="\n" + "\n".join(lines[hole["line"] :]),
            expected=line[len(hole["after"]) :],
            mode=Mode.SINGLE_LINE,
            language=detect(path),
            path=path,
            root=root,
        ))  # fmt: skip
    return cases


def _line_case(
    case_id: str,
    path: Path,
    root: Path,
    number: int,
    open_documents: tuple[tuple[Path, str], ...] = (),
    recent_edits: tuple[EditedRegion, ...] = (),
) -> Case:
    """The file's 1-based line `number` as a single-line hole: the cursor at its
    indentation, the line after it to write, the rest of the file after the cursor."""
    lines = path.read_text(encoding="utf-8").split("\n")
    line = lines[number - 1]
    indent = line[: len(line) - len(line.lstrip())]
    return Case(
        id=case_id,
        before="\n".join([*lines[: number - 1], indent]),
        after="\n" + "\n".join(lines[number:]),
        expected=line.strip(),
        mode=Mode.SINGLE_LINE,
        language=detect(path),
        path=path,
        root=root,
        open_documents=open_documents,
        recent_edits=recent_edits,
    )


def load_fresh(fixtures: Path = FRESH, split: str | None = None) -> list[Case]:
    """Holes from projects first published in 2025 (measure/quality/fresh.py), one file open; only
    the `split` half ("dev" or "test") when given."""
    cases = []
    for hole in json.loads((fixtures / "holes.json").read_text()):
        if split is not None and hole["split"] != split:
            continue
        root = fixtures / hole["project"]
        case_id = f"{hole['project']}/{hole['file']}:{hole['line']} {hole['split']}"
        cases.append(_line_case(case_id, root / hole["file"], root, hole["line"]))
    return cases


def load_edits(repos: Sequence[Path], split: str | None = None) -> list[Case]:
    """Commits replayed as an editor saw them (measure/quality/edits.py): the file open with one new
    line cut out, the commit's other files open, its other hunks the recent edits."""
    cases = []
    for hole in load_holes():
        if split is not None and hole.split != split:
            continue
        root = workspace(repository_of(hole.commit, list(repos)), hole.commit, EDITS_CACHE)
        others = sorted({file for file, _, _ in hole.edits} - {hole.file})
        cases.append(_line_case(
            hole.id, root / hole.file, root, hole.line,
            open_documents=tuple(
                (root / file, (root / file).read_text(encoding="utf-8")) for file in others
            ),
            recent_edits=tuple(
                EditedRegion(root / file, first, last) for file, first, last in hole.edits
            ),
        ))  # fmt: skip
    return cases


def load_suite(
    name: str,
    eval_dir: Path,
    limit: int | None = None,
    crossfile_dir: Path = CROSSFILE_FIXTURES,
    split: str | None = None,
    repos: Sequence[Path] = (),
) -> list[Case]:
    if name == "crossfile":
        return _every_case(load_crossfile(crossfile_dir), limit)
    if name == "multilang":
        return _every_case(load_crossfile(MULTILANG_FIXTURES), limit)
    if name == "fresh":
        return _every_case(load_fresh(split=split), limit)
    if name == "edits":
        return _every_case(load_edits(repos, split), limit)
    path = eval_dir / SUITE_FILES[name]
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (set --eval-dir to shared/eval)")
    rows = _every(list(_rows(path)), limit)
    if name.startswith("humaneval"):
        mode = Mode.SINGLE_LINE if name == "humaneval-single" else Mode.MULTI_LINE
        return [
            Case(
                id=row["task_id"],
                before=row["prompt"],
                after="\n" + row["suffix"],
                expected=row["canonical_solution"],
                mode=mode,
                language=detect("x.py"),
                program_template=(
                    row["prompt"],
                    "\n" + row["suffix"] + "\n" + row["test"] + f"\ncheck({row['entry_point']})\n",
                ),
            )
            for row in rows
        ]
    # The hole is a whole line between the prompt (which lacks its final newline) and the
    # suffix (which starts a line): the cursor sits on an empty line between them, as for
    # HumanEval.
    return [
        Case(
            id=row["name"],
            before=row["prompt"] + "\n",
            after="\n" + row["suffix"],
            expected=row["canonical_solution"],
            mode=Mode.SINGLE_LINE,
            language=detect("x" + EXTENSIONS.get(row["language"], "")),
        )
        for row in rows
    ]


def passes(program: str, timeout_s: float = EXECUTION_TIMEOUT_S) -> bool:
    """Run a Python program in a fresh isolated interpreter; True when it exits 0 in time."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "candidate.py"
        path.write_text(program)
        try:
            result = subprocess.run(
                [sys.executable, "-I", str(path)], cwd=scratch, capture_output=True,
                timeout=timeout_s, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return False
    return result.returncode == 0


def edit_similarity(a: str, b: str) -> float:
    """1 - Levenshtein(a, b) / max(len): 1.0 for equal strings (RepoEval's definition)."""
    if not a and not b:
        return 1.0
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return 1 - previous[-1] / max(len(a), len(b))


def _normalise(text: str, mode: Mode) -> str:
    if mode is Mode.SINGLE_LINE:
        return text.strip()
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip()


def adds_syntax_error(case: Case, completion: str) -> bool:
    if case.language is None or not completion:
        return False
    language_parser = parser(case.language)
    if language_parser is None:
        return False

    def damage(middle: str) -> int:
        return syntax_damage(
            language_parser.parse((case.before + middle + case.after).encode()).root_node
        )

    return damage(completion) > damage("")


@dataclass
class Outcome:
    id: str
    completion: str
    exact: bool
    similarity: float
    passed: bool | None
    syntax_error: bool
    latency_ms: float
    expected: str = ""  # what the benchmark has there, for reading the outcomes later
    # Names the completion shown reads that are defined nowhere (Python), and what the name
    # check did to the model's suggestion ("dropped", "trimmed", "retried", "" for nothing).
    unresolved: tuple[str, ...] = ()
    name_check: str = ""
    # How sure the model was of the first line (its tokens' log-probabilities; product only).
    logprobs: tuple[float, ...] = ()


@dataclass(frozen=True)
class Summary:
    suite: str
    mode: str
    cases: int
    pass_at_1: float | None
    exact_match: float
    edit_similarity: float
    empty_rate: float
    syntax_errors: int
    latency_p50_ms: float
    latency_p95_ms: float
    unresolved_rate: float = 0.0  # % of completions shown that read a name defined nowhere
    held_back: int = 0  # suggestions the name check dropped or trimmed


def evaluate_case(
    completer: Completer, case: Case, mode: str, options: Options = DEFAULTS
) -> Outcome:
    """`mode`: "product" (the shipped pipeline), "naive" (plain FIM, same weights) or
    "lookup" (no model: the line that most often follows the line above elsewhere)."""
    # As in an editor, the workspace's index was built before the request: not timed.
    retrieve = mode == "product" and options.context and options.retrieval
    index = _index_of(case.root) if retrieve and case.root else None
    started = time.perf_counter()
    name_check = ""
    logprobs: tuple[float, ...] = ()
    if mode == "naive":
        completion = naive_complete(
            completer, case.before, case.after, case.mode, case.language, options
        )
    elif mode == "lookup":
        completion = _lookup(case)
    else:
        document = DocumentSnapshot(
            text=case.before + case.after,
            offset=len(case.before),
            mode=case.mode,
            language=case.language,
            path=case.path,
            root=case.root,
            open_documents=case.open_documents,
            recent_edits=case.recent_edits,
            index=index,
            received=started,
        )
        suggestion = suggest(completer, document, options)
        completion, name_check = suggestion.text, suggestion.name_check
        logprobs = suggestion.logprobs
    latency = (time.perf_counter() - started) * 1000
    found = tuple(
        u.name for u in unresolved(completion, case.before, case.after, case.language,
                                   case.path, case.root)
    )  # fmt: skip
    passed = None
    if case.program_template is not None:
        head, tail = case.program_template
        passed = passes(head + completion + tail)
    return Outcome(
        id=case.id,
        completion=completion,
        exact=_normalise(completion, case.mode) == _normalise(case.expected, case.mode),
        similarity=edit_similarity(
            _normalise(completion, case.mode), _normalise(case.expected, case.mode)
        ),
        passed=passed,
        syntax_error=adds_syntax_error(case, completion),
        latency_ms=latency,
        expected=case.expected,
        unresolved=found,
        name_check=name_check,
        logprobs=logprobs,
    )


def summarise(suite: str, mode: str, outcomes: list[Outcome]) -> Summary:
    count = len(outcomes)
    executed = [o.passed for o in outcomes if o.passed is not None]
    latencies = sorted(o.latency_ms for o in outcomes)
    return Summary(
        suite=suite,
        mode=mode,
        cases=count,
        pass_at_1=100 * sum(executed) / len(executed) if executed else None,
        exact_match=100 * sum(o.exact for o in outcomes) / count,
        edit_similarity=100 * statistics.fmean(o.similarity for o in outcomes),
        empty_rate=100 * sum(not o.completion.strip() for o in outcomes) / count,
        syntax_errors=sum(o.syntax_error for o in outcomes),
        latency_p50_ms=latencies[count // 2],
        latency_p95_ms=latencies[min(count - 1, int(count * 0.95))],
        unresolved_rate=100 * sum(bool(o.unresolved) for o in outcomes) / count,
        held_back=sum(bool(o.name_check) for o in outcomes),
    )


def table(summaries: list[Summary]) -> str:
    header = (
        "| suite | mode | cases | pass@1 | exact match | edit similarity | empty | "
        "adds syntax error | unresolved name | held back | p50 ms | p95 ms |"
    )
    lines = [header, "|" + "---|" * 12]
    for s in summaries:
        pass_at_1 = f"{s.pass_at_1:.1f}" if s.pass_at_1 is not None else "—"
        lines.append(
            f"| {s.suite} | {s.mode} | {s.cases} | {pass_at_1} | {s.exact_match:.1f} | "
            f"{s.edit_similarity:.1f} | {s.empty_rate:.1f}% | {s.syntax_errors} | "
            f"{s.unresolved_rate:.1f}% | {s.held_back} | "
            f"{s.latency_p50_ms:.0f} | {s.latency_p95_ms:.0f} |"
        )
    return "\n".join(lines)


@functools.lru_cache(maxsize=8)  # the edits suite has a workspace per hole
def _index_of(root: Path) -> RepoIndex:
    """An in-memory index of a suite's project, built once per run."""
    index = RepoIndex(root)
    index.refresh()
    return index


def _lookup(case: Case) -> str:
    text = case.before + case.after
    if case.root is None or case.path is None:
        return NextLines.of([text]).suggest(case.before)
    return lookup(case.root, case.path, text, len(case.before))


def _product_label(options: Options) -> str:
    """ "product", and how its options differ from the defaults."""
    changes = [] if options.context else ["context off"]
    if options.context and not options.retrieval:
        changes.append("no index")
    if options.prompt_tokens != DEFAULTS.prompt_tokens:
        changes.append(f"{options.prompt_tokens} prompt tokens")
    if options.context and options.context_tokens != DEFAULTS.context_tokens:
        changes.append(f"{options.context_tokens} context tokens")
    if options.context and options.recent_edits != DEFAULTS.recent_edits:
        changes.append(f"recent edits {'on' if options.recent_edits else 'off'}")
    if options.check_names != DEFAULTS.check_names:
        changes.append(f"name check {'on' if options.check_names else 'off'}")
    return ", ".join(["product", *changes])


def run(
    completer: Completer,
    suites: list[str],
    modes: list[str],
    eval_dir: Path,
    limit: int | None,
    outcomes_file: Path | None = None,
    options: Options = DEFAULTS,
    crossfile_dir: Path = CROSSFILE_FIXTURES,
    split: str | None = None,
    repos: Sequence[Path] = (),
) -> list[Summary]:
    summaries = []
    records = []
    for suite in suites:
        cases = load_suite(suite, eval_dir, limit, crossfile_dir, split, repos)
        for mode in modes:
            outcomes = []
            for index, case in enumerate(cases, start=1):
                outcomes.append(evaluate_case(completer, case, mode, options))
                if index % 25 == 0 or index == len(cases):
                    print(f"{suite} {mode}: {index}/{len(cases)}", file=sys.stderr, flush=True)
            label = _product_label(options) if mode == "product" else mode
            summaries.append(summarise(suite, label, outcomes))
            records += [{"suite": suite, "mode": mode, **asdict(o)} for o in outcomes]
    if outcomes_file is not None:
        outcomes_file.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return summaries
