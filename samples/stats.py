"""A small module to try codegen-complete on: `codegen-complete samples/stats.py:14`."""

import math


def mean(values: list[float]) -> float:
    """The arithmetic mean of `values`."""
    return sum(values) / len(values)


def stdev(values: list[float]) -> float:
    """The population standard deviation of `values`."""
    average = mean(values)
    variance = 
    return math.sqrt(variance)
