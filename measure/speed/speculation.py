"""Plain greedy decoding against prompt-lookup speculation on real fill-in-the-middle prompts.

    .venv/bin/python -m codegen_complete.measure.speed.speculation \
        ../shared/eval/HumanEval-MultiLineInfilling.dev.jsonl.gz

For each of N rows (`prompt`, `suffix`) it builds the product's prompt, decodes up to 48 tokens
with speculation off and on, and prints ms per generated token for each and how many outputs
are token-identical (batched verification can flip a near-tie in fp32 arithmetic).
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from codegen_complete.completion.engine import Engine
from codegen_complete.completion.prompt import Budget
from codegen_complete.models.catalog import DEFAULT_MODEL
from codegen_complete.models.load import load_model
from codegen_complete.models.store import models_root, open_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows", type=Path, help="a .jsonl.gz with prompt and suffix fields")
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--max-tokens", type=int, default=48)
    args = parser.parse_args()

    model = open_model(models_root(), DEFAULT_MODEL)
    completer = load_model(model, args.threads)
    plain = Engine(model.path, args.threads, speculate=False)
    with gzip.open(args.rows, "rt") as handle:
        rows = [json.loads(line) for line in handle]
    rows = rows[:: max(1, len(rows) // args.count)][: args.count]

    speculative = completer.engine
    assert speculative is not None  # a local completer
    totals = {"plain": [0.0, 0], "speculative": [0.0, 0]}
    identical = 0
    for row in rows:
        tokens = completer.prompts.build(row["prompt"], row["suffix"], Budget()).tokens
        results = {}
        for name, engine in (("plain", plain), ("speculative", speculative)):
            engine.forget()
            results[name] = engine.generate(
                tokens, max_new_tokens=args.max_tokens, stop_tokens=completer.stop_tokens
            )
            if len(results[name].tokens) > 1:
                totals[name][0] += results[name].decode_ms
                totals[name][1] += len(results[name].tokens) - 1
        identical += results["plain"].tokens == results["speculative"].tokens

    print(f"{len(rows)} prompts from {args.rows.name}, {plain.threads} threads")
    for name, (ms, count) in totals.items():
        print(f"  {name:12} {ms / count:6.1f} ms/token over {count} tokens")
    print(f"  identical outputs: {identical}/{len(rows)}")


if __name__ == "__main__":
    main()
