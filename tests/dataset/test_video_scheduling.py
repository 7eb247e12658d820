"""Encoding with SVT-AV1 as root must not leave any thread of the recorder on real-time scheduling."""

from __future__ import annotations

import os

import numpy as np

from lerobot_ros.dataset.video import SegmentEncoder, VideoEncoding


def _policies() -> set[int]:
    return {os.sched_getscheduler(int(tid)) for tid in os.listdir("/proc/self/task")}


def test_svt_av1_leaves_every_thread_on_normal_scheduling(tmp_path):
    encoder = SegmentEncoder(tmp_path / "seg.mp4", fps=10, height=48, width=64,
                             encoding=VideoEncoding(codec="libsvtav1"))
    frames = np.random.default_rng(0).integers(0, 255, (5, 48, 64, 3), dtype=np.uint8)
    encoder.add(frames[0])
    assert _policies() == {os.SCHED_OTHER}  # while the encoder and its threads are open
    for frame in frames[1:]:
        encoder.add(frame)
    encoder.close()
    assert _policies() == {os.SCHED_OTHER}
    assert (tmp_path / "seg.mp4").stat().st_size > 0
