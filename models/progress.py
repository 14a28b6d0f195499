"""Progress reports for slow steps (downloads, hashing, conversion) on a text stream.

On a terminal a step redraws one line with its elapsed time (and bytes, when known); in a log
or CI it prints a line when the step starts, every `interval` seconds, and when it ends.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


def _format_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


class Step:
    """One running step; `advance` reports bytes done when the total is known."""

    def __init__(self, label: str, total: int | None) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.started = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count

    def describe(self) -> str:
        elapsed = time.monotonic() - self.started
        text = f"{self.label} … {elapsed:.0f} s"
        if self.total:
            share = 100 * self.done / self.total
            text += f"  {_format_bytes(self.done)} / {_format_bytes(self.total)} ({share:.0f}%)"
        return text


class Progress:
    def __init__(self, stream: TextIO | None = None, interval: float = 10.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.live = self.stream.isatty()

    def say(self, message: str) -> None:
        print(message, file=self.stream, flush=True)

    @contextmanager
    def step(self, label: str, total: int | None = None) -> Iterator[Step]:
        """Report `label` until the block ends, then its duration."""
        step = Step(label, total)
        stop = threading.Event()
        ticker = threading.Thread(target=self._tick, args=(step, stop), daemon=True)
        if not self.live:
            self.say(f"{label} …")
        ticker.start()
        try:
            yield step
        finally:
            stop.set()
            ticker.join()
        elapsed = time.monotonic() - step.started
        ending = "\r\033[K" if self.live else ""
        self.say(f"{ending}{label}: done in {elapsed:.1f} s")

    def _tick(self, step: Step, stop: threading.Event) -> None:
        period = 0.25 if self.live else self.interval
        while not stop.wait(period):
            if self.live:
                self.stream.write(f"\r\033[K{step.describe()}")
                self.stream.flush()
            else:
                self.say(step.describe())
