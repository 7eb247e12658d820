"""RecordingSession (the recorder's ROS-free core) on a manual clock, into the real DatasetWriter."""

from __future__ import annotations

import json
import os
import threading
import time

import frame_barcode
import numpy as np
import pytest

from lerobot_ros.dataset import DatasetReader, LanguageRow, VideoEncoding, say
from lerobot_ros.recording import load_recording_config
from lerobot_ros.recording.live_language import load_language_topics
from lerobot_ros.recording.recording_session import RecordingSession, SessionError, SessionSettings

FPS = 10
CAMERA = "observation.images.front"
RAW = {
    "fps": FPS,
    "features": [
        {"key": "observation.state", "topic": "joint_states", "type": "joint_state", "joints": ["a", "b"]},
        {"key": CAMERA, "topic": "front/image_raw", "type": "image", "height": 16, "width": 16},
    ],
}
X264 = VideoEncoding(codec="libx264", preset="ultrafast")


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def image(i: int, height: int = 16, width: int = 16) -> np.ndarray:
    """The camera's image at tick i: ``i`` in a barcode band (tests/frame_barcode.py) over a gradient."""
    y, x = np.mgrid[0:height, 0:width]
    gradient = np.stack([(x * 8 + i * 10) % 256, (y * 8) % 256, np.full_like(x, 40 * (i % 6))], -1).astype(np.uint8)
    return frame_barcode.stamp(gradient, i)


def assert_images_of_ticks(frames: np.ndarray, ticks: list[int]) -> None:
    """Decoded ``frames`` are the images pushed at ``ticks``: barcodes exactly; the content (8x16 px left
    below the band, x264 ultrafast) within a mean absolute difference of 16 (12.6 seen)."""
    assert frame_barcode.read_all(frames) == ticks, "the episode's frames are not the images of its ticks"
    for frame, tick in zip(frames, ticks):
        difference = np.abs(frame_barcode.content(frame).astype(int) - frame_barcode.content(image(tick)).astype(int))
        assert difference.mean() < 16, (tick, difference.mean())


def open_session(tmp_path, clock, language=True, **settings) -> RecordingSession:
    config = load_recording_config(RAW)
    topics = load_language_topics(None if language else False, (CAMERA,)) if language is not False else None
    settings = SessionSettings(root=tmp_path / "ds", video=X264, sample_delay_s=0.0, **settings)
    return RecordingSession.open(config, settings, topics, clock)


def topic(session, kind):
    return next(t for t in session.language if t.kind == kind)


def run_ticks(session, clock, first: int, last: int, skip_image=()):
    """Ticks first..last: before each, push the state (value = tick) and the image, then sample."""
    for i in range(first, last + 1):
        clock.t = 1000.0 + i / FPS - 0.01
        session.push("observation.state", [float(i), -float(i)])
        if i not in skip_image:
            session.push(CAMERA, image(i))
        clock.t = 1000.0 + i / FPS
        session.advance()


def test_episode_values_timestamps_and_live_language(tmp_path):
    clock = Clock()
    session = open_session(tmp_path, clock)
    session.push_language(topic(session, "plan"), "reach, then grasp")  # idle: active from frame 0
    session.push_language(topic(session, "say"), "ignored while idle")
    run_ticks(session, clock, 0, 0)
    clock.t = 1000.05
    assert session.start_episode("pick up the cube") == 0
    run_ticks(session, clock, 1, 2)
    session.push_language(topic(session, "subtask"), "grasp")  # at 1000.2: lands on tick 3 = frame 2
    run_ticks(session, clock, 3, 4)
    session.push_language(topic(session, "say"), "Got it.")
    session.push_language(topic(session, "user_input"), "careful")
    run_ticks(session, clock, 5, 7)
    clock.t = 1000.75
    outcome = session.stop_episode()
    assert outcome.saved, outcome.message
    account = outcome.account
    assert (account.ticks, account.written, account.not_fresh, account.dropped_encoder) == (7, 7, 0, 0)
    assert outcome.quality.timestamps_exact and outcome.quality.grid_ticks == 7
    session.finalize()

    reader = DatasetReader(tmp_path / "ds")
    columns = reader.episode_columns(0)
    np.testing.assert_array_equal(columns["observation.state"][:, 0], np.arange(1, 8, dtype=np.float32))
    np.testing.assert_array_equal(columns["timestamp"], (np.arange(7) / FPS).astype(np.float32))
    assert reader.episode_tasks(0) == ["pick up the cube"] * 7
    assert_images_of_ticks(reader.video_frames(0, CAMERA), list(range(1, 8)))
    language = reader.episode_language(0)
    assert language.persistent == [
        LanguageRow(role="assistant", content="reach, then grasp", style="plan", timestamp=0.0),
        LanguageRow(role="assistant", content="grasp", style="subtask", timestamp=0.2),
    ]
    assert language.events == {4: [say("Got it."), LanguageRow(role="user", content="careful", style="interjection")]}
    (report_path,) = outcome.report_paths
    report = json.loads(report_path.read_text())
    assert report_path.parent == tmp_path / "ds.quality"
    assert report["account"]["written"] == 7 and report["quality"]["streams"][CAMERA]["fresh"] == 7


def test_a_stale_camera_truncates_the_episode_and_says_so(tmp_path):
    clock = Clock()
    session = open_session(tmp_path, clock, language=False, on_gap="truncate")
    clock.t = 1000.05
    session.start_episode("t")
    run_ticks(session, clock, 1, 9, skip_image=(5, 6, 7))  # the camera stalls 0.3 s > max_age 0.2 s
    clock.t = 1000.95
    outcome = session.stop_episode()
    account = outcome.account
    # Ticks 1-5 written (tick 5 uses the image of tick 4, 0.11 s old); tick 6's newest image is 0.21 s
    # old: the contiguous part ends there, ticks 7-9 are not recorded although the camera is back.
    assert account.written == 5 and account.not_fresh == 1 and account.after_truncation == 3
    assert account.ticks == account.written + account.not_fresh + account.dropped_encoder + account.after_truncation
    assert account.truncated_at_s == pytest.approx(1000.6) and "TRUNCATED" in outcome.message
    session.finalize()
    assert DatasetReader(tmp_path / "ds").episodes[0].length == 5
    # tick 5 holds the image of tick 4 (the newest, still fresh)
    assert_images_of_ticks(DatasetReader(tmp_path / "ds").video_frames(0, CAMERA), [1, 2, 3, 4, 4])


def test_a_stale_camera_splits_the_take_into_episodes_and_keeps_every_fresh_frame(tmp_path):
    """on_gap: split (the default): the take goes on past the stall in a new episode with the same
    task; every frame keeps the time it was taken, and the language active at the gap carries over."""
    clock = Clock()
    session = open_session(tmp_path, clock)
    session.push_language(topic(session, "plan"), "reach, then grasp")  # active from frame 0
    clock.t = 1000.05
    session.start_episode("t")
    run_ticks(session, clock, 1, 2)
    session.push_language(topic(session, "subtask"), "reach")  # lands on tick 3
    run_ticks(session, clock, 3, 12, skip_image=(5, 6, 7))  # the camera stalls 0.3 s > max_age 0.2 s
    session.push_language(topic(session, "say"), "on my way")  # lands on tick 13: frame 2 of part 2
    run_ticks(session, clock, 13, 14)
    clock.t = 1001.45
    outcome = session.stop_episode()
    account = outcome.account
    # Ticks 1-5 written (tick 5 reuses tick 4's image); ticks 6 and 7 stale; the camera is back at 8.
    assert (account.ticks, account.written, account.not_fresh, account.after_truncation) == (14, 12, 2, 0)
    assert [gap.at_s for gap in account.gaps] == [pytest.approx(1000.6)] and not account.truncated
    assert outcome.episode_indices == [0, 1] and [r.length for r in outcome.results] == [5, 7]
    assert "SPLIT at 1 gap" in outcome.message and "2 ticks lost" in outcome.message
    assert session.status().truncated  # RecorderStatus: the take lost ticks between written frames
    reports = [json.loads(path.read_text()) for path in outcome.report_paths]
    assert [(r["episode_index"], r["part"], r["parts"], r["length"]) for r in reports] == [(0, 0, 2, 5), (1, 1, 2, 7)]
    session.finalize()

    reader = DatasetReader(tmp_path / "ds")
    assert reader.num_episodes == 2 and reader.episode_tasks(1) == ["t"] * 7
    for episode, ticks in ((0, range(1, 6)), (1, range(8, 15))):
        columns = reader.episode_columns(episode)
        np.testing.assert_array_equal(columns["observation.state"][:, 0], np.array(ticks, dtype=np.float32))
        np.testing.assert_array_equal(columns["timestamp"], (np.arange(len(ticks)) / FPS).astype(np.float32))
    first, second = reader.episode_language(0), reader.episode_language(1)
    assert first.persistent == [
        LanguageRow(role="assistant", content="reach, then grasp", style="plan", timestamp=0.0),
        LanguageRow(role="assistant", content="reach", style="subtask", timestamp=0.2),
    ]
    assert second.persistent == [  # what was active at the gap, from the new episode's first frame
        LanguageRow(role="assistant", content="reach, then grasp", style="plan", timestamp=0.0),
        LanguageRow(role="assistant", content="reach", style="subtask", timestamp=0.0),
    ]
    assert second.events == {5: [say("on my way")]}


def test_discarding_a_split_take_keeps_the_parts_already_saved_and_says_which(tmp_path):
    clock = Clock()
    session = open_session(tmp_path, clock, language=False)
    clock.t = 1000.05
    session.start_episode("t")
    run_ticks(session, clock, 1, 9, skip_image=(5, 6, 7))
    session.discard_episode()
    assert "episodes [0] saved earlier in it, at gaps, are kept" in session.status().message
    session.finalize()
    assert [e.length for e in DatasetReader(tmp_path / "ds").episodes] == [5]


def test_a_full_encoder_queue_drops_frames_and_counts_them_exactly(tmp_path):
    """A queue of one frame and ticks far faster than real time: the encoder cannot keep up."""
    raw = {**RAW, "features": [RAW["features"][0], {**RAW["features"][1], "height": 480, "width": 640}]}
    clock = Clock()
    settings = SessionSettings(root=tmp_path / "ds", video=VideoEncoding(), sample_delay_s=0.0, max_queued_frames=1)
    session = RecordingSession.open(load_recording_config(raw), settings, None, clock)
    clock.t = 1000.05
    session.start_episode("t")
    big = image(0, 480, 640)
    for i in range(1, 41):
        clock.t = 1000.0 + i / FPS - 0.01
        session.push("observation.state", [float(i), 0.0])
        session.push(CAMERA, big)
        clock.t = 1000.0 + i / FPS
        session.advance()
    status = session.status()
    clock.t = 1004.05
    outcome = session.stop_episode()
    account = outcome.account
    assert account.ticks == 40
    assert account.dropped_encoder >= 1 and account.dropped_encoder == status.dropped
    assert account.written + account.dropped_encoder + account.not_fresh + account.after_truncation == 40
    session.finalize()
    reader = DatasetReader(tmp_path / "ds")
    # A drop after a written frame splits the take (on_gap: split); how often depends on how fast the
    # worker encodes (saves run on the commit thread, so it takes frames again at once).
    assert [e.length for e in reader.episodes] == [r.length for r in outcome.results]
    assert sum(r.length for r in outcome.results) == account.written
    # Each part's frames are consecutive ticks (state value = tick number), the first from the first
    # written tick on, later parts after the lost ticks that split them.
    first = round((account.first_frame_s - 1000.0) * FPS)
    starts = []
    for episode in range(reader.num_episodes):
        state = reader.episode_columns(episode)["observation.state"][:, 0]
        np.testing.assert_array_equal(state, np.arange(state[0], state[0] + len(state), dtype=np.float32))
        starts.append(state[0])
    assert starts[0] == first and starts == sorted(starts)


def test_discard_resume_and_state_errors(tmp_path):
    clock = Clock()
    session = open_session(tmp_path, clock, language=False)
    with pytest.raises(SessionError, match="start one first"):
        session.stop_episode()
    clock.t = 1000.05
    session.start_episode("first")
    with pytest.raises(SessionError, match="while recording"):
        session.start_episode("again")
    run_ticks(session, clock, 1, 3)
    session.discard_episode()
    clock.t = 1000.35
    session.start_episode("second")
    run_ticks(session, clock, 4, 6)
    clock.t = 1000.65
    assert session.stop_episode().episode_indices == [0]
    session.finalize()
    clock.t = 2000.0
    again = open_session(tmp_path, clock, language=False)  # resumes: repairs, appends
    assert again.writer.num_episodes == 1 and again.status().episodes == 1
    again.finalize()
    with pytest.raises(SessionError, match="language columns absent"):
        open_session(tmp_path, clock, language=True)
    assert DatasetReader(tmp_path / "ds").episode_tasks(0) == ["second"] * 3


def test_a_timed_episode_holds_exactly_its_ticks_however_late_the_stop(tmp_path):
    clock = Clock()
    session = open_session(tmp_path, clock, language=False)
    clock.t = 1000.05
    session.start_episode("timed", duration_s=0.3)  # ticks 1000.1, 1000.2, 1000.3
    run_ticks(session, clock, 1, 6)
    clock.t = 1000.65  # the stop comes 0.3 s late
    outcome = session.stop_episode()
    assert outcome.account.ticks == 3 and [r.length for r in outcome.results] == [3]
    clock.t = 1000.75
    session.start_episode("discarded", duration_s=0.2)
    run_ticks(session, clock, 8, 12)
    session.discard_episode()  # after its span ended: still discarded, not saved
    session.finalize()
    reader = DatasetReader(tmp_path / "ds")
    assert reader.num_episodes == 1
    np.testing.assert_array_equal(reader.episode_columns(0)["observation.state"][:, 0], [1.0, 2.0, 3.0])


def test_header_time_with_a_sample_delay_uses_messages_that_arrive_after_their_tick(tmp_path):
    raw = {"fps": FPS, "features": [{**RAW["features"][0], "time_source": "header"}, RAW["features"][1]]}
    clock = Clock()
    settings = SessionSettings(root=tmp_path / "ds", video=X264, sample_delay_s=0.2)
    session = RecordingSession.open(load_recording_config(raw), settings, None, clock)
    clock.t = 1000.05
    session.start_episode("late headers")
    for i in range(1, 6):
        clock.t = 1000.0 + i / FPS + 0.15  # each state arrives 0.15 s after the time it was taken
        session.push("observation.state", [float(i), 0.0], header_s=1000.0 + i / FPS - 0.01)
        session.push(CAMERA, image(i))  # receive time: 0.15 s after the tick, so not for this tick
        session.advance()  # samples ticks up to clock - 0.2 s
    clock.t = 1000.55
    outcome = session.stop_episode()  # waits the delay, then samples every tick up to 1000.55
    # The camera by receive time: tick i has the image pushed at tick i-2 + 0.15 s (0.15 s old, fresh),
    # ticks 1 and 2 none. The state by its header: tick i has state i, taken 0.01 s before the tick,
    # although it arrived 0.15 s after it.
    assert (outcome.account.ticks, outcome.account.written, outcome.account.not_fresh) == (5, 3, 2)
    session.finalize()
    columns = DatasetReader(tmp_path / "ds").episode_columns(0)
    np.testing.assert_array_equal(columns["observation.state"][:, 0], [3.0, 4.0, 5.0])


def _nice(tid: int) -> int:
    """A thread's nice value, from /proc (field 19 of its stat line)."""
    stat = open(f"/proc/self/task/{tid}/stat").read()
    return int(stat.rsplit(")", 1)[1].split()[16])


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="per-thread nice values are Linux's")
def test_the_encoder_and_the_threads_ffmpeg_starts_run_at_the_lower_priority(tmp_path):
    """The encoder thread lowers its own priority before the first frame; the codec's threads inherit it,
    the caller's thread keeps its own (control loops on a small computer go first)."""
    raw = {**RAW, "features": [RAW["features"][0], {**RAW["features"][1], "height": 240, "width": 320}]}
    clock = Clock()
    settings = SessionSettings(root=tmp_path / "ds", video=VideoEncoding(codec="libx264", extra_options={"threads": 2}),
                               sample_delay_s=0.0, encoder_nice=7)
    base = _nice(threading.get_native_id())
    before = set(os.listdir("/proc/self/task"))
    session = RecordingSession.open(load_recording_config(raw), settings, None, clock)
    clock.t = 1000.05
    session.start_episode("t")
    for i in range(1, 6):
        clock.t = 1000.0 + i / FPS - 0.01
        session.push("observation.state", [float(i), 0.0])
        session.push(CAMERA, image(i, 240, 320))
        clock.t = 1000.0 + i / FPS
        session.advance()
    while session.worker.queued_frames:
        time.sleep(0.01)
    python_threads = {t.native_id: t.name for t in threading.enumerate()}
    started = {int(tid) for tid in set(os.listdir("/proc/self/task")) - before}
    codec_threads = [tid for tid in started if tid not in python_threads]
    worker = next(tid for tid, name in python_threads.items() if name == "recorder-encoder")
    try:
        assert _nice(worker) == min(19, base + 7)
        assert codec_threads, "libx264 with threads=2 started no thread of its own"
        assert all(_nice(tid) == min(19, base + 7) for tid in codec_threads)
        assert _nice(threading.get_native_id()) == base
    finally:
        clock.t = 1001.0
        session.stop_episode()
        session.finalize()
    assert len(DatasetReader(tmp_path / "ds").episodes) == 1  # the frames were encoded and saved


def test_an_encoder_nice_outside_0_to_19_is_refused(tmp_path):
    settings = SessionSettings(root=tmp_path / "ds", video=X264, encoder_nice=20)
    with pytest.raises(ValueError, match="nice increment must be within 0..19, got 20"):
        RecordingSession.open(load_recording_config(RAW), settings, None, Clock())
