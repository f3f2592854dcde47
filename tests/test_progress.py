"""Progress lines: durations, the epoch ETA and the byte counter of large files."""

from __future__ import annotations

import logging

from biodl.progress import ByteProgress, EpochClock, duration_text, size_text


def test_durations_read_as_seconds_minutes_and_hours():
    assert [duration_text(s) for s in (0.4, 42, 185, 3725)] == ["0s", "42s", "3m05s", "1h02m"]
    assert [size_text(n) for n in (2048, 64 << 20, 1288490189)] == ["2 KB", "64 MB", "1.2 GB"]


def test_the_eta_is_the_mean_epoch_time_times_the_epochs_left():
    clock = EpochClock(10)
    clock.durations = [2.0, 4.0]
    assert clock.eta(2) == "ETA ≤ 24s"
    assert EpochClock(10, early_stopping=False).eta(0) == "done"
    fixed = EpochClock(4, early_stopping=False)
    fixed.durations = [30.0]
    assert fixed.eta(1) == "ETA 1m30s"
    assert fixed.eta(4) == "done"


def test_large_files_report_every_step(caplog):
    progress = ByteProgress(logging.getLogger("biodl.test"), "big.fa", 10 << 20, step=4 << 20)
    with caplog.at_level(logging.INFO, logger="biodl.test"):
        for _ in range(10):
            progress.add(1 << 20)
    assert caplog.messages == ["big.fa: read 4 MB of about 10 MB", "big.fa: read 8 MB of about 10 MB"]
