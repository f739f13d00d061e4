"""A :class:`connectors.http.Clock` that does not really wait.

Its sleeps only move its time forward and are recorded, so a test asserts the wait a
connector chose (a ``Retry-After``, a backoff) without spending it.
"""

from __future__ import annotations

__all__ = ["FakeClock"]


class FakeClock:
    """Monotonic time from 0, wall time from a fixed epoch; ``sleeps`` lists every wait."""

    def __init__(self) -> None:
        self.now = 0.0
        self.epoch = 1_800_000_000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.epoch + self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
