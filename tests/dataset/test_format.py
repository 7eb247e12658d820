"""The files on disk are LeRobotDataset v3.0 exactly: info.json, parquet schemas, tasks, stats."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dataset_helpers import CAMERA, FEATURES, FPS, HEIGHT, TASKS, WIDTH, create, record_episode

from lerobot_ros.dataset import DatasetReader
from lerobot_ros.dataset.stats import STAT_NAMES


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("format") / "ds"
    writer = create(root, language=True)
    results = [record_episode(writer, episode, length, language=True) for episode, length in enumerate((4, 6))]
    writer.close()
    return root, results


def test_info_json(dataset):
    root, _ = dataset
    info = json.loads((root / "meta/info.json").read_text())
    assert list(info)[:13] == [
        "codebase_version", "robot_type", "total_episodes", "total_frames", "total_tasks", "chunks_size",
        "data_files_size_in_mb", "video_files_size_in_mb", "fps", "splits", "data_path", "video_path",
        "features",
    ]
    assert info["codebase_version"] == "v3.0"
    assert (info["total_episodes"], info["total_frames"], info["total_tasks"]) == (2, 10, 2)
    assert (info["chunks_size"], info["data_files_size_in_mb"], info["video_files_size_in_mb"]) == (1000, 100, 200)
    assert info["fps"] == FPS and info["splits"] == {"train": "0:2"}
    assert info["data_path"] == "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
    assert info["video_path"] == "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
    features = info["features"]
    assert features["observation.state"] == FEATURES["observation.state"]
    assert features["timestamp"] == {"dtype": "float32", "shape": [1], "names": None}
    for key in ("frame_index", "episode_index", "index", "task_index"):
        assert features[key] == {"dtype": "int64", "shape": [1], "names": None}
    for key in ("language_persistent", "language_events"):
        assert features[key] == {"dtype": "language", "shape": [1], "names": None}
    video = features[CAMERA]["info"]
    assert video["video.codec"] == "h264" and video["video.pix_fmt"] == "yuv420p"
    assert (video["video.height"], video["video.width"], video["video.fps"]) == (HEIGHT, WIDTH, FPS)
    assert (video["video.g"], video["video.crf"], video["has_audio"], video["is_depth_map"]) == (2, 30, False, False)
    assert info["tools"][0]["function"]["name"] == "say"


def test_data_parquet(dataset):
    root, _ = dataset
    parquet = pq.ParquetFile(root / "data/chunk-000/file-000.parquet")
    assert parquet.metadata.num_row_groups == 2  # one per episode, as LeRobot writes them
    table = parquet.read()
    assert table.schema.field("observation.state").type == pa.list_(pa.float32(), 3)
    assert table.schema.field("timestamp").type == pa.float32()
    for key in ("frame_index", "episode_index", "index", "task_index"):
        assert table.schema.field(key).type == pa.int64()
    assert CAMERA not in table.column_names
    np.testing.assert_array_equal(table.column("index").to_numpy(), np.arange(10))
    np.testing.assert_array_equal(table.column("frame_index").to_numpy(), [0, 1, 2, 3, 0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(table.column("episode_index").to_numpy(), [0] * 4 + [1] * 6)
    frame_index = table.column("frame_index").to_numpy()
    np.testing.assert_array_equal(table.column("timestamp").to_numpy(), (frame_index / FPS).astype(np.float32))


def test_tasks_parquet_is_a_pandas_frame_indexed_by_task(dataset):
    root, _ = dataset
    table = pq.read_table(root / "meta/tasks.parquet")
    assert table.column("task").to_pylist() == list(TASKS)
    assert table.column("task_index").to_pylist() == [0, 1]
    pandas_meta = json.loads(table.schema.metadata[b"pandas"])
    assert pandas_meta["index_columns"] == ["task"]


def test_episodes_parquet(dataset):
    root, results = dataset
    rows = pq.read_table(root / "meta/episodes/chunk-000/file-000.parquet").to_pylist()
    assert [r["episode_index"] for r in rows] == [0, 1]
    assert [r["length"] for r in rows] == [4, 6]
    assert [(r["dataset_from_index"], r["dataset_to_index"]) for r in rows] == [(0, 4), (4, 10)]
    assert rows[0]["tasks"] == [TASKS[0], TASKS[1]] and rows[1]["tasks"] == [TASKS[1], TASKS[0]]
    assert [r[f"videos/{CAMERA}/from_timestamp"] for r in rows] == [0.0, 0.4]
    assert [r[f"videos/{CAMERA}/to_timestamp"] for r in rows] == [0.4, 1.0]
    assert all(r["data/chunk_index"] == r["data/file_index"] == 0 for r in rows)
    assert all(r["meta/episodes/file_index"] == 0 for r in rows)
    for key in ("observation.state", "action", "timestamp", "frame_index", "index", "task_index", CAMERA):
        for stat in STAT_NAMES:
            assert f"stats/{key}/{stat}" in rows[0]
    image_mean = np.asarray(rows[0][f"stats/{CAMERA}/mean"])
    assert image_mean.shape == (3, 1, 1) and 0 < image_mean.min() <= image_mean.max() < 1
    assert rows[0][f"stats/{CAMERA}/count"] == [4]
    assert results[1].videos[CAMERA].from_timestamp == 0.4


def test_stats_json(dataset):
    root, _ = dataset
    stats = json.loads((root / "meta/stats.json").read_text())
    reader = DatasetReader(root)
    state = np.concatenate([reader.episode_columns(e)["observation.state"] for e in (0, 1)])
    np.testing.assert_allclose(stats["observation.state"]["mean"], state.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(stats["observation.state"]["std"], state.std(axis=0), rtol=1e-6)
    np.testing.assert_allclose(stats["observation.state"]["min"], state.min(axis=0))
    assert stats["observation.state"]["count"] == [10]
    assert np.asarray(stats[CAMERA]["q50"]).shape == (3, 1, 1)
    assert set(stats[CAMERA]) == set(STAT_NAMES)
