"""Progress lines for long steps: epoch timing with an ETA, and a byte counter for large files."""

from __future__ import annotations

import logging
import time


def duration_text(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h02m``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class EpochClock:
    """Times epochs and estimates how long the remaining ones take (mean epoch time so far)."""

    def __init__(self, epochs: int, early_stopping: bool = True):
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.durations: list[float] = []
        self.started = time.perf_counter()

    def start(self) -> None:
        self.started = time.perf_counter()

    def stop(self) -> float:
        """End the current epoch; its duration in seconds."""
        duration = time.perf_counter() - self.started
        self.durations.append(duration)
        return duration

    def eta(self, epochs_done: int) -> str:
        """``ETA 1m05s`` for the epochs left (``≤``: early stopping may end the run sooner)."""
        left = self.epochs - epochs_done
        if left <= 0 or not self.durations:
            return "done"
        bound = "≤ " if self.early_stopping else ""
        return f"ETA {bound}{duration_text(left * sum(self.durations) / len(self.durations))}"


class ByteProgress:
    """Logs ``read 64 MB of 1.2 GB`` every ``step`` bytes while a large file is read."""

    def __init__(self, logger: logging.Logger, path: str, total: int, step: int = 256 << 20):
        self.logger = logger
        self.path = path
        self.total = total
        self.step = step
        self.done = 0
        self.next_report = step

    def add(self, count: int) -> None:
        self.done += count
        if self.done >= self.next_report:
            self.logger.info(
                "%s: read %s of about %s", self.path, size_text(self.done), size_text(self.total)
            )
            self.next_report += self.step


def size_text(count: int) -> str:
    """``512 KB``, ``64 MB``, ``1.2 GB``."""
    if count >= 1 << 30:
        return f"{count / (1 << 30):.1f} GB"
    if count >= 1 << 20:
        return f"{count >> 20} MB"
    return f"{count >> 10} KB"
