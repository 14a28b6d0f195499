"""The real-use benchmark's behaviour in CI (measure/editor/realuse.py, here with the tiny model and
a few jumps in a vendored real project): every first request at a new place is answered, the
typing requests are answered or dropped, the server's log explains the empty answers, and
nothing crashes. Its timings are for the benchmark (docs/benchmarks.md), not for a test."""

from __future__ import annotations

from pathlib import Path

from codegen_complete.measure.editor.realuse import VENDOR, measure, table
from tests.conftest import TINY

REPO = Path(__file__).resolve().parents[1]


async def test_jumps_and_typing_in_a_real_project(tiny_store: Path) -> None:
    settings = {"model": TINY, "modelsDir": str(tiny_store)}
    projects = [REPO / VENDOR / "click", REPO / VENDOR / "commander"]
    tally = await measure(projects, jumps=4, seed=3, label="ci", settings=settings)

    assert not tally.crashed
    assert tally.jumps == 4 and len(tally.cold_latencies_s) == 4
    assert tally.key_requests > 20
    assert len(tally.key_latencies_s) + tally.key_empty == tally.key_requests
    # Typing at 40-80 ms a key supersedes requests; the server says so in its log.
    assert sum(tally.reasons.values()) > 0
    assert tally.peak_rss_mb > 0
    assert "| ci | 4 |" in table([tally])
