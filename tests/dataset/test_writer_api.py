"""The writer's contract: clear errors that lose nothing, language rules, threads, timings."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from dataset_helpers import CAMERA, HEIGHT, WIDTH, create, image, record_episode, values

from lerobot_ros.dataset import (
    DatasetNotFoundError,
    DatasetReader,
    EmptyEpisodeError,
    LanguageRow,
    repair,
    say,
)


def _frame(episode=0, frame=0):
    return {**values(episode, frame), CAMERA: image(episode, frame)}


def test_bad_frames_are_refused_and_nothing_is_lost(tmp_path):
    writer = create(tmp_path / "ds")
    record_episode(writer, 0, 3)
    writer.add_frame(_frame(1, 0), task="pick up the cube")
    bad = [
        ({**_frame(), "timestamp": 0.0}, "computed by the writer"),
        ({k: v for k, v in _frame().items() if k != "action"}, "missing \\['action'\\]"),
        ({**_frame(), "action": np.zeros(4, np.float32)}, "shape"),
        ({**_frame(), "action": np.array(["a", "b", "c"])}, "expected numbers"),
        ({**_frame(), CAMERA: np.zeros((HEIGHT, WIDTH, 3), np.float32)}, "uint8"),
        ({**_frame(), CAMERA: np.zeros((10, 10, 3), np.uint8)}, "expected"),
    ]
    for frame, message in bad:
        with pytest.raises(ValueError, match=message):
            writer.add_frame(frame, task="pick up the cube")
    with pytest.raises(ValueError, match="task"):
        writer.add_frame(_frame(), task="")
    with pytest.raises(ValueError, match="language=True"):
        writer.add_frame(_frame(), task="x", language_events=[say("hi")])
    assert writer.episode_length == 1
    writer.add_frame(_frame(1, 1), task="pick up the cube")
    assert writer.save_episode().length == 2
    reader = DatasetReader(tmp_path / "ds")
    assert [r.length for r in reader.episodes] == [3, 2]


def test_float64_values_are_stored_as_the_declared_float32(tmp_path):
    writer = create(tmp_path / "ds")
    writer.add_frame({**_frame(), "action": [0.5, 1.5, 2.5]}, task="t")
    writer.save_episode()
    assert DatasetReader(tmp_path / "ds").episode_columns(0)["action"].dtype == np.float32


def test_empty_save_and_existing_root(tmp_path):
    writer = create(tmp_path / "ds")
    with pytest.raises(EmptyEpisodeError):
        writer.save_episode()
    with pytest.raises(FileExistsError, match="resume"):
        create(tmp_path / "ds")
    with pytest.raises(DatasetNotFoundError, match="info.json"):
        repair(tmp_path)
    with pytest.raises(ValueError, match="integer"):
        create(tmp_path / "other", fps=29.97)


def test_clear_episode_drops_only_the_episode_in_progress(tmp_path):
    writer = create(tmp_path / "ds")
    record_episode(writer, 0, 2)
    writer.add_frame(_frame(), task="t")
    writer.clear_episode()
    assert writer.episode_length == 0
    record_episode(writer, 1, 3)
    assert [r.length for r in DatasetReader(tmp_path / "ds").episodes] == [2, 3]
    assert not (tmp_path / "ds" / ".staging").exists() or not any((tmp_path / "ds" / ".staging").iterdir())


def test_language_rules(tmp_path):
    writer = create(tmp_path / "ds", language=True)
    with pytest.raises(ValueError, match="camera"):
        LanguageRow(role="user", content="where?", style="vqa").validate((CAMERA,))
    LanguageRow(role="user", content="where?", style="vqa", camera=CAMERA).validate((CAMERA,))
    with pytest.raises(ValueError, match="timestamp"):
        LanguageRow(role="assistant", content="grasp", style="subtask").validate(())
    with pytest.raises(ValueError, match="save_episode"):
        writer.add_frame(_frame(), task="t", language_events=[
            LanguageRow(role="assistant", content="grasp", style="subtask", timestamp=0.0)])
    with pytest.raises(ValueError, match="unknown"):
        LanguageRow(role="assistant", content="x", style="poem").validate(())
    vqa = LanguageRow(role="assistant", content='{"count": 1}', style="vqa", camera=CAMERA)
    writer.add_frame(_frame(0, 0), task="t", language_events=[vqa, say("hello")])
    writer.add_frame(_frame(0, 1), task="t")
    plan = LanguageRow(role="assistant", content="1. reach 2. grasp", style="plan", timestamp=0.0)
    writer.save_episode(language_persistent=[plan])
    language = DatasetReader(tmp_path / "ds").episode_language(0)
    assert language.persistent == [plan]
    assert language.events == {0: [vqa, say("hello")]}


def test_frames_added_during_a_save_start_the_next_episode(tmp_path):
    writer = create(tmp_path / "ds")
    for frame in range(4):
        writer.add_frame(_frame(0, frame), task="t")
    results = []
    saver = threading.Thread(target=lambda: results.append(writer.save_episode()))
    saver.start()
    while writer.episode_length:  # the save detaches the episode first, then writes
        pass
    for frame in range(3):  # recorded while the save may still be writing
        writer.add_frame(_frame(1, frame), task="t")
    saver.join()
    second = writer.save_episode()
    assert (results[0].length, second.length) == (4, 3)
    columns = DatasetReader(tmp_path / "ds").episode_columns(1)
    np.testing.assert_array_equal(columns["action"][2], values(1, 2)["action"])
    timings = results[0].timings
    parts = (timings.encode_flush_s + timings.stats_s + timings.tasks_s + timings.videos_s + timings.data_s
             + timings.commit_s + timings.info_stats_s)
    assert 0 < parts <= timings.total_s


def test_a_failed_save_leaves_the_saved_episodes_and_the_writer_usable(tmp_path, monkeypatch):
    from lerobot_ros.dataset import writer as writer_module

    writer = create(tmp_path / "ds")
    record_episode(writer, 0, 3)
    real_append = writer_module.append_table
    calls = []

    def disk_full_on_commit(path, table):
        calls.append(path)
        if "meta/episodes" in str(path):  # after the video and data shards took the episode
            raise OSError(28, "No space left on device")
        real_append(path, table)

    monkeypatch.setattr(writer_module, "append_table", disk_full_on_commit)
    with pytest.raises(OSError, match="No space"):
        record_episode(writer, 1, 4)
    monkeypatch.setattr(writer_module, "append_table", real_append)
    assert len(calls) == 2
    reader = DatasetReader(tmp_path / "ds")
    assert [r.length for r in reader.episodes] == [3] and reader.num_frames == 3
    assert not repair(tmp_path / "ds").changed
    record_episode(writer, 1, 4)
    assert [r.length for r in DatasetReader(tmp_path / "ds").episodes] == [3, 4]
