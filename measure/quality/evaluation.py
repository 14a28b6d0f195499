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
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from codegen_complete.checks.namecheck import unresolved
from codegen_complete.completion.backend import Limits
from codegen_complete.completion.completer import MAX_TOKENS, Completer
from codegen_complete.completion.options import DEFAULTS, Options
from codegen_complete.completion.postprocess import Situation, unit_is_complete
from codegen_complete.completion.prompt import Prompt
from codegen_complete.completion.suggest import DocumentSnapshot, suggest
from codegen_complete.context.classify import Mode
from codegen_complete.context.documents import Document
from codegen_complete.context.index.repo import RepoIndex
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.measure.quality.cases import (
    CROSSFILE_FIXTURES,
    Case,
    load_suite,
)
from codegen_complete.measure.quality.fresh import NextLines, lookup
from codegen_complete.measure.quality.scoring import (
    adds_syntax_error,
    edit_similarity,
    normalise,
    passes,
)


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
        document = DocumentSnapshot.of(
            Document(case.before + case.after, case.language),
            len(case.before),
            case.mode,
            path=case.path,
            root=case.root,
            index=index,
            open_documents=case.open_documents,
            recent_edits=case.recent_edits,
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
        exact=normalise(completion, case.mode) == normalise(case.expected, case.mode),
        similarity=edit_similarity(
            normalise(completion, case.mode), normalise(case.expected, case.mode)
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


# --- the naive baseline ------------------------------------------------------------------
# What every quality figure is compared with: plain fill-in-the-middle with the same model and
# budget, as the usual harnesses run it. The family's published FIM format with the text as
# given, no healing, no context, and the first line of the output (the second when the first
# is empty) or the raw output for a block. It stops where the product stops generating (end
# of line or block), so the two differ in what they show the model and keep, not in length.


def naive_complete(
    completer: Completer,
    before: str,
    after: str,
    mode: Mode,
    language: LanguageSpec | None,
    options: Options,
) -> str:
    prompts = completer.prompts
    windows = prompts.windows(before, after, options.budget)
    prompt = Prompt(
        prompts.assemble(completer.family.plain_template, windows), windows.prefix, windows.suffix
    )
    situation = Situation(before, after, mode, language, options.max_lines)
    limits = Limits(
        max_new_tokens=options.max_new_tokens or MAX_TOKENS[mode],
        deadline=time.perf_counter() + options.time_limit_s,
        should_stop=lambda text: unit_is_complete(text, situation),
    )
    return naive_cut(completer.backend.continue_prompt(prompt, limits).text, mode)


def naive_cut(raw: str, mode: Mode) -> str:
    """The baseline harnesses use: the first line (the second when the output starts with a
    newline), or for a block the raw output."""
    if mode is Mode.MULTI_LINE:
        return raw.rstrip()
    lines = raw.split("\n")
    if len(lines) > 1 and not lines[0].strip():
        return "\n" + lines[1]
    return lines[0]
