"""``lerobot-ros dataset`` and ``train`` on datasets a user cannot use as they are (issue 21): a
read-only location, a truncated info.json, data parquet or mp4, no episodes at all. Each is one line
naming the file and the fix (or, for ``info``, a DAMAGED report), never a traceback.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from cli_runner import assert_one_line_error, run_cli
from locations import immutable

sys.path.insert(0, str(Path(__file__).parents[1] / "dataset"))
from dataset_helpers import CAMERA, create, record_episode  # noqa: E402


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("datasets") / "ds"
    with create(root) as writer:
        for episode in range(2):
            record_episode(writer, episode, 4)
    return root


def copy(dataset: Path, tmp_path: Path) -> Path:
    root = tmp_path / "copy"
    shutil.copytree(dataset, root)
    return root


def truncate(path: Path, keep: float = 0.5) -> Path:
    path.write_bytes(path.read_bytes()[:int(path.stat().st_size * keep)])
    return path


def test_recompute_stats_on_a_read_only_dataset_is_one_line(dataset, tmp_path):
    root = copy(dataset, tmp_path)
    with immutable(root):
        result = run_cli("dataset", "recompute-stats", root)
    assert_one_line_error(result, str(root), "pick a writable folder")


def test_delete_episodes_into_a_read_only_folder_is_one_line_and_from_one_works(dataset, tmp_path):
    target = tmp_path / "readonly"
    target.mkdir()
    source = copy(dataset, tmp_path)
    with immutable(target, source):
        assert_one_line_error(run_cli("dataset", "delete-episodes", dataset, target / "out", "--episodes", "0"),
                              str(target), "not permitted")
        result = run_cli("dataset", "delete-episodes", source, tmp_path / "out", "--episodes", "0")
    assert result.status == 0, result.err


@pytest.mark.parametrize("damaged", ["data/chunk-000/file-000.parquet", f"videos/{CAMERA}/chunk-000/file-000.mp4"])
def test_info_calls_a_truncated_data_or_video_file_damaged(dataset, tmp_path, damaged):
    root = copy(dataset, tmp_path)
    truncate(root / damaged)
    result = run_cli("dataset", "info", root)
    assert result.status == 1 and "Traceback" not in result.err
    assert "DAMAGED" in result.out and damaged in result.out and f"dataset repair {root}" in result.out


def test_a_truncated_info_json_names_the_file_in_info_and_train(dataset, tmp_path):
    root = copy(dataset, tmp_path)
    truncate(root / "meta/info.json")
    assert_one_line_error(run_cli("dataset", "info", root), f"{root}/meta/info.json cannot be read", "backup")
    result = run_cli("train", "--dataset", root, "--output-dir", tmp_path / "run", "--device", "cpu")
    assert_one_line_error(result, f"{root}/meta/info.json cannot be read")


def test_train_on_a_dataset_without_episodes_says_so(tmp_path):
    root = tmp_path / "empty"
    create(root).close()
    result = run_cli("train", "--dataset", root, "--output-dir", tmp_path / "run", "--device", "cpu")
    line = assert_one_line_error(result, str(root), "has no episodes", "lerobot-ros record")
    assert "stats" not in line


def test_train_on_a_truncated_data_parquet_names_it_and_repair(dataset, tmp_path):
    root = copy(dataset, tmp_path)
    truncate(root / "data/chunk-000/file-000.parquet")
    result = run_cli("train", "--dataset", root, "--output-dir", tmp_path / "run", "--device", "cpu")
    assert_one_line_error(result, "data/chunk-000/file-000.parquet", f"lerobot-ros dataset repair {root} --apply")
