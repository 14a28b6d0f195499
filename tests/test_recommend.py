"""`model recommend`: the measured models projected onto machines of other sizes."""

from __future__ import annotations

import pytest

from codegen_complete.models.recommend import (
    FIRST_SUGGESTION_S,
    MEASURED,
    Measured,
    machine,
    projected_first_suggestion_s,
    recommend,
)

SMALL, LARGE = MEASURED[0], MEASURED[-1]


def test_the_measured_machine_projects_to_what_was_measured() -> None:
    # 2 cores: a 256-token prompt at the measured prefill rate, then a 12-token line.
    expected = 256 / SMALL.prefill_tokens_per_s + 12 * SMALL.decode_ms_per_token / 1000
    assert projected_first_suggestion_s(SMALL, 2) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("cores", "memory_mb", "chosen"),
    [
        (2, 16_000, SMALL),  # the larger model's first suggestion takes ~3 s on 2 cores
        (4, 16_000, SMALL),
        (8, 16_000, LARGE),
        (16, 64_000, LARGE),
        (16, 2_000, SMALL),  # enough cores, too little memory
        (1, 512, SMALL),  # nothing fits: the smallest all the same
    ],
)
def test_the_best_model_that_fits(cores: int, memory_mb: float, chosen: Measured) -> None:
    best, fitted = recommend(MEASURED, cores, memory_mb)
    assert best == chosen
    assert len(fitted) == len(MEASURED)
    for fit in fitted:
        assert fit.fits == (
            fit.first_suggestion_s <= FIRST_SUGGESTION_S
            and fit.measured.peak_rss_mb + 1024 <= memory_mb
        )


def test_this_machine_is_read() -> None:
    cores, available = machine()
    assert cores >= 1 and available > 0
