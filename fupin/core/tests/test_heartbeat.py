"""The heartbeat of long work (fupin.core.heartbeat): beats while the block runs, stops after it,
and a failing beat never disturbs the work."""

from __future__ import annotations

import threading
import time

import pytest

from fupin.core import heartbeat


def test_beats_while_the_block_runs_and_stops_after():
    beats: list[float] = []
    with heartbeat.beating(lambda: beats.append(time.monotonic()), every=0.02):
        time.sleep(0.25)
    during = len(beats)
    time.sleep(0.1)
    assert during >= 4  # ~12 at this pace; a loaded machine still gives a few
    assert len(beats) == during  # nothing after the block
    assert not any(t.name == "heartbeat" for t in threading.enumerate())


def test_no_beat_before_the_first_interval():
    beats: list[int] = []
    with heartbeat.beating(lambda: beats.append(1), every=60):
        time.sleep(0.05)
    assert beats == []


def test_a_failing_beat_is_logged_and_the_work_goes_on(caplog):
    calls: list[int] = []

    def beat():
        calls.append(1)
        raise RuntimeError("database is locked")

    with heartbeat.beating(beat, every=0.02):
        time.sleep(0.15)
        result = "work done"
    assert result == "work done" and len(calls) >= 2
    assert "heartbeat failed" in caplog.text


def test_an_error_in_the_work_stops_the_beat_and_propagates():
    beats: list[int] = []
    with pytest.raises(ValueError, match="bad file"):
        with heartbeat.beating(lambda: beats.append(1), every=0.02):
            time.sleep(0.08)
            raise ValueError("bad file")
    count = len(beats)
    time.sleep(0.08)
    assert len(beats) == count
