"""The `codegen-complete` command.

    codegen-complete FILE:LINE[:COL]      print the completion at that position
    codegen-complete serve                the LSP server over stdio, for editors
    codegen-complete model install|list|verify
    codegen-complete bench                benchmark the engine (and llama.cpp, transformers)
    codegen-complete eval                 quality on FIM benchmarks, product against naive

Bad input exits with status 2 and one line on stderr; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codegen_complete.completion.backend import BackendUnavailableError
from codegen_complete.completion.options import DEFAULTS
from codegen_complete.context.source import SourceError, read_source
from codegen_complete.models.catalog import DEFAULT_MODEL
from codegen_complete.models.store import ModelError
from codegen_complete.server.commands import (
    UsageError,
    add_backend_flags,
    add_context_flags,
    add_model_flags,
    context_options,
    positive,
    remote_config,
    run_eval,
    run_index,
    run_model,
)
from codegen_complete.server.positions import PositionError, parse_location, resolve_cursor

if TYPE_CHECKING:
    from codegen_complete.context.index.repo import RepoIndex

EXIT_BAD_INPUT = 2
COMMANDS = ("serve", "model", "bench", "eval", "index")


def _complete_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="codegen-complete",
        description="Print the AI completion at FILE:LINE[:COL] (1-based; without COL, the "
        "end of the line). Other commands: "
        + ", ".join(f"'codegen-complete {c} --help'" for c in COMMANDS),
    )
    parser.add_argument("location", help="FILE:LINE or FILE:LINE:COL")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print text, position, model, token counts and timings as JSON",
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"model name (default {DEFAULT_MODEL})"
    )
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=DEFAULTS.max_new_tokens,
        help="most tokens to generate (default: 48 for a line, 160 for a block)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULTS.time_limit_s,
        help="seconds before generation stops with what it has "
        f"(default {DEFAULTS.time_limit_s:g})",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="workspace root (default: the nearest folder above FILE holding "
        ".git, else FILE's folder)",
    )
    add_context_flags(parser)
    add_model_flags(parser)
    add_backend_flags(parser)
    return parser


def _workspace_root(path: Path, root: Path | None) -> Path:
    path = path.resolve()
    if root is not None:
        root = root.resolve()
        if not root.is_dir():
            raise UsageError(f"--root {root}: not a directory")
        if not path.is_relative_to(root):
            raise UsageError(f"{path} is outside the workspace root {root}")
        return root
    for folder in path.parents:
        if (folder / ".git").exists():
            return folder
    return path.parent


# A one-shot command brings the workspace index up to date for at most this long; what is
# left is indexed by the next command (or by the server).
CLI_INDEX_BUDGET_S = 3.0


def _workspace_index(root: Path) -> RepoIndex:
    from codegen_complete.context.index.repo import RepoIndex
    from codegen_complete.server.indexing import index_cache_dir

    index = RepoIndex.for_workspace(root, index_cache_dir())
    index.refresh(budget_s=CLI_INDEX_BUDGET_S)
    return index


def run_complete(argv: list[str]) -> int:
    args = _complete_parser().parse_args(argv)
    if args.max_tokens is not None:
        positive(args.max_tokens, "--max-tokens")
    positive(args.time_limit, "--time-limit")
    options = dataclasses.replace(
        context_options(args), time_limit_s=args.time_limit, max_new_tokens=args.max_tokens
    )
    if args.threads is not None:
        positive(args.threads, "--threads")
    location = parse_location(args.location)
    text = read_source(location.path)
    root = _workspace_root(location.path, args.root)
    cursor = resolve_cursor(text, location.line, location.column, name=str(location.path))

    # Imported here so that `--help` and input errors answer without loading onnxruntime.
    from codegen_complete.completion.suggest import DocumentSnapshot, suggest
    from codegen_complete.context.classify import classify
    from codegen_complete.context.documents import Document
    from codegen_complete.models.load import load

    received = time.perf_counter()
    document = Document.open(text, path=str(location.path))
    # A command-line request is explicit: it completes inside comments and words too.
    mode = classify(document, cursor.offset, explicit=True).mode
    remote = remote_config(args)
    for warning in remote.warnings() if remote is not None else ():
        print(f"codegen-complete: warning: {warning}", file=sys.stderr)
    completer = load(args.models_dir, args.model, args.threads, remote, args.remote_fallback)
    snapshot = DocumentSnapshot.of(
        document,
        cursor.offset,
        mode,
        path=location.path.resolve(),
        root=root,
        index=_workspace_index(root) if options.context and options.retrieval else None,
        received=time.perf_counter(),  # the time limit is the completion's, not the load's
    )
    result = suggest(completer, snapshot, options)
    if args.json:
        run = result.continuation
        report: dict[str, Any] = {
            "text": result.text,
            # Characters after the cursor the text replaces (closers typed ahead, `f(x|)`).
            "replaces": result.replaces,
            "unresolved_names": list(result.unresolved),
            "name_check": result.name_check,
            # At a member: how many names its receiver may take, which the model chose among.
            "members_known": result.members,
            "file": str(location.path.resolve().relative_to(root)),
            "root": str(root),
            "line": cursor.line,
            "column": cursor.column,
            "mode": mode.value,
            "language": document.spec.name if document.spec else None,
            "model": completer.model.name,
            "precision": completer.model.precision,
            "threads": completer.engine.threads if completer.engine is not None else None,
            "backend": completer.backend.name,
            # "missing_import": no model ran, the text is an import the file lacks.
            "stop_reason": run.stop_reason if run is not None else "missing_import",
            "context": list(result.context_files),
            "tokens": {
                "prompt": run.prompt_tokens if run is not None else 0,
                "reused": run.reused_tokens if run is not None else 0,
                "generated": run.generated_tokens if run is not None else 0,
            },
            "timings_ms": {
                "load": completer.load_ms,
                "context": result.context_ms,
                "prefill": run.prefill_ms if run is not None else 0.0,
                "decode": run.decode_ms if run is not None else 0.0,
                "total": round((time.perf_counter() - received) * 1000, 2),
            },
        }
        print(json.dumps(report, indent=2))
    else:
        sys.stdout.write(result.text + "\n")
    return 0


def run_serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="codegen-complete serve",
        description="Speak the Language Server Protocol over stdio (for editors). Settings "
        "come from the client's initializationOptions and workspace/didChangeConfiguration.",
    )
    parser.parse_args(argv)
    from codegen_complete.server.lsp import serve

    serve()
    return 0


def run_bench(argv: list[str]) -> int:
    from codegen_complete.measure.speed.bench import main as bench_main

    return bench_main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] == "model":
            return run_model(argv[1:])
        if argv and argv[0] == "bench":
            return run_bench(argv[1:])
        if argv and argv[0] == "eval":
            return run_eval(argv[1:])
        if argv and argv[0] == "serve":
            return run_serve(argv[1:])
        if argv and argv[0] == "index":
            return run_index(argv[1:])
        return run_complete(argv)
    except (UsageError, PositionError, SourceError, ModelError) as error:
        print(f"codegen-complete: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BackendUnavailableError as error:
        print(f"codegen-complete: error: the server cannot answer: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("codegen-complete: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
