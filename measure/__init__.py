"""Measurement: quality on FIM suites, the engine benchmark, replays and timings."""
