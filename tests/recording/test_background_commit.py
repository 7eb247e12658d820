"""end_episode (what recorder_node's ~/stop_episode calls) returns before the take is saved; the next
take records meanwhile; each take commits, in order, into files of its own (issue 20).

RecordingSession on a manual clock into the real DatasetWriter, as tests/recording/test_recording_session.py."""

from __future__ import annotations

import frame_barcode
import numpy as np

from lerobot_ros.dataset import DatasetReader, VideoEncoding
from lerobot_ros.recording import load_recording_config
from lerobot_ros.recording.recording_session import RecordingSession, SessionSettings

FPS = 10
CAMERA = "observation.images.front"
CONFIG = {
    "fps": FPS,
    "features": [
        {"key": "observation.state", "topic": "joint_states", "type": "joint_state", "joints": ["a", "b"]},
        {"key": CAMERA, "topic": "front/image_raw", "type": "image", "height": 16, "width": 16},
    ],
}
ORIGIN = 1000.0


class Clock:
    def __init__(self) -> None:
        self.t = ORIGIN

    def __call__(self) -> float:
        return self.t


def run_ticks(session: RecordingSession, clock: Clock, first: int, last: int) -> None:
    """Ticks first..last: before each, push the state (value = tick) and an image barcoded with it."""
    for i in range(first, last + 1):
        clock.t = ORIGIN + i / FPS - 0.01
        session.push("observation.state", [float(i), -float(i)])
        session.push(CAMERA, frame_barcode.stamp(np.full((16, 16, 3), 90, np.uint8), i))
        clock.t = ORIGIN + i / FPS
        session.advance()


def test_stop_returns_at_once_and_the_take_commits_while_the_next_records(tmp_path):
    clock = Clock()
    settings = SessionSettings(root=tmp_path / "ds", video=VideoEncoding(codec="libx264", preset="ultrafast"),
                               sample_delay_s=0.1)
    session = RecordingSession.open(load_recording_config(CONFIG), settings, None, clock)
    clock.t = ORIGIN + 0.05
    assert session.start_episode("first") == 0
    run_ticks(session, clock, 1, 5)
    clock.t = ORIGIN + 0.55
    committed = session.end_episode()
    # Tick 5 (0.5 s) is sampled only after the sampling delay: the take cannot be saved yet.
    assert not committed.done()
    assert session.state == "idle" and session.status().episodes == 0
    assert session.start_episode("second") == 1  # the stopped take gets index 0 when it commits

    run_ticks(session, clock, 6, 12)  # samples the first take's tick 5, then the second take's
    outcome = committed.result(timeout=60)
    assert outcome.episode_indices == [0], outcome.message
    assert (outcome.account.ticks, outcome.account.written) == (5, 5)
    assert outcome.committed_after_s > 0 and outcome.blocked_s < outcome.committed_after_s
    assert session.status().episodes == 1 and session.state == "recording"

    clock.t = ORIGIN + 1.25
    second = session.stop_episode()  # the blocking form: returns once committed
    assert second.episode_indices == [1] and (second.account.ticks, second.account.written) == (7, 7)
    session.finalize()

    reader = DatasetReader(tmp_path / "ds")
    assert reader.num_episodes == 2
    for episode, ticks, task in ((0, range(1, 6), "first"), (1, range(6, 13), "second")):
        np.testing.assert_array_equal(reader.episode_columns(episode)["observation.state"][:, 0],
                                      np.array(ticks, dtype=np.float32))
        assert frame_barcode.read_all(reader.video_frames(episode, CAMERA)) == list(ticks)
        assert reader.episode_tasks(episode) == [task] * len(ticks)
    first, later = reader.episodes
    # One episode per file: a commit never rewrites an earlier episode's data, metadata or video.
    assert first.data_slot != later.data_slot and first.meta_slot != later.meta_slot
    assert first.videos[CAMERA].slot != later.videos[CAMERA].slot
    assert later.videos[CAMERA].from_timestamp == 0.0
