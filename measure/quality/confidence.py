"""How sure the model is, against whether it is right: the data behind the threshold that keeps
unsure suggestions off the screen (`Options.min_confidence`).

    codegen-complete eval --suite fresh --split dev --outcomes dev.jsonl
    python -m codegen_complete.measure.quality.confidence dev.jsonl [more.jsonl ...]

For each statistic of the first line's token log-probabilities (the lowest one, the mean, the
sum) and each threshold, the table says what share of the suggestions would still be shown,
how many of the right ones are kept and how many of the wrong ones are hidden. Empty answers
are left out (nothing was shown).
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

STATISTICS: dict[str, Callable[[Sequence[float]], float]] = {
    "lowest token probability": lambda logprobs: math.exp(min(logprobs)),
    "mean token probability (geometric)": lambda logprobs: math.exp(sum(logprobs) / len(logprobs)),
    "line probability": lambda logprobs: math.exp(sum(logprobs)),
}
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def table(records: list[dict[str, Any]]) -> str:
    shown = [r for r in records if r.get("completion") and r.get("logprobs")]
    right = sum(bool(r["exact"]) for r in shown)
    wrong = len(shown) - right
    out = [
        f"{len(shown)} suggestions shown, {right} right, {wrong} wrong",
        "| statistic | threshold | shown % | right kept % | wrong hidden % | exact among shown % |",
        "|" + "---|" * 6,
    ]
    for name, statistic in STATISTICS.items():
        for threshold in THRESHOLDS:
            kept = [r for r in shown if statistic(r["logprobs"]) >= threshold]
            kept_right = sum(bool(r["exact"]) for r in kept)
            out.append(
                f"| {name} | {threshold} | {100 * len(kept) / max(1, len(shown)):.0f} | "
                f"{100 * kept_right / max(1, right):.0f} | "
                f"{100 * (wrong - (len(kept) - kept_right)) / max(1, wrong):.0f} | "
                f"{100 * kept_right / max(1, len(kept)):.0f} |"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    paths = [Path(name) for name in (argv if argv is not None else sys.argv[1:])]
    if not paths:
        raise SystemExit(
            "usage: python -m codegen_complete.measure.quality.confidence OUTCOMES.jsonl..."
        )
    records = [json.loads(line) for path in paths for line in path.read_text().splitlines()]
    print(table([r for r in records if r.get("mode") == "product"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
