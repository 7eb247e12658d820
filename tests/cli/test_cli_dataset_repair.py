"""``lerobot-ros dataset check`` / ``repair`` / ``info`` on healthy and damaged datasets, through the
real entry point (``lerobot_ros.cli.main.main``, in process)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "dataset"))
from dataset_helpers import CAMERA, create, record_episode  # noqa: E402

from lerobot_ros.cli.main import main  # noqa: E402
from lerobot_ros.dataset import DatasetReader  # noqa: E402

SHARD_1 = f"videos/{CAMERA}/chunk-000/file-001.mp4"


def cli(capsys, *args) -> tuple[int, str, str]:
    status = main(["dataset", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out, err


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> Path:
    """Three episodes, one mp4 shard each."""
    from lerobot_ros.dataset import FileLimits

    root = tmp_path_factory.mktemp("cli_repair") / "ds"
    with create(root, limits=FileLimits(video_files_size_in_mb=0.001)) as writer:
        for episode, length in enumerate((4, 5, 3)):
            record_episode(writer, episode, length)
    return root


@pytest.fixture
def damaged(healthy, tmp_path) -> Path:
    """The healthy dataset with its second mp4 shard cut in half (episode 1's frames)."""
    root = tmp_path / "ds"
    shutil.copytree(healthy, root)
    mp4 = root / SHARD_1
    mp4.write_bytes(mp4.read_bytes()[: mp4.stat().st_size // 2])
    return root


def test_check_and_info_call_a_healthy_dataset_healthy(healthy, capsys):
    status, out, _ = cli(capsys, "check", healthy)
    assert status == 0 and "3 committed episodes, 3 intact (every frame decoded)" in out
    assert "no problems found" in out
    status, out, _ = cli(capsys, "info", healthy)
    assert status == 0 and "every data row and video packet read" in out


def test_check_and_info_name_the_damage(damaged, capsys):
    before = files(damaged)
    status, out, _ = cli(capsys, "check", damaged)
    assert status == 1
    assert "3 committed episodes, 2 intact" in out
    assert f"{SHARD_1}: episode 1: the file cannot be opened (Invalid data found when processing input)" in out
    assert f"lerobot-ros dataset repair {damaged}" in out
    status, out, _ = cli(capsys, "info", damaged)
    assert status == 1 and "DAMAGED" in out and f"{SHARD_1}: episode 1:" in out
    assert files(damaged) == before


def test_a_truncated_data_parquet_is_not_healthy(healthy, tmp_path, capsys):
    root = tmp_path / "ds"
    shutil.copytree(healthy, root)
    data = root / "data/chunk-000/file-000.parquet"
    data.write_bytes(data.read_bytes()[:-100])
    for action in ("check", "info"):
        status, out, _ = cli(capsys, action, root)
        assert status == 1 and "data/chunk-000/file-000.parquet" in out, out


def test_repair_is_a_dry_run_until_apply(damaged, capsys):
    before = files(damaged)
    status, out, _ = cli(capsys, "repair", damaged)
    assert status == 0
    assert "2 would be kept" in out and "set aside: episodes 1 (not applied)" in out
    assert f"nothing was changed; apply with: lerobot-ros dataset repair {damaged} --apply" in out
    assert files(damaged) == before

    status, out, _ = cli(capsys, "repair", damaged, "--apply")
    assert status == 0
    aside = next(damaged.parent.glob("ds.damaged-*"))
    assert f"set aside: episodes 1 -> the original folder, untouched with every episode's rows and videos, " \
           f"is now {aside}" in out
    assert files(aside) == before
    assert "renumbered: 2->1" in out
    assert DatasetReader(damaged).num_episodes == 2
    status, out, _ = cli(capsys, "check", damaged)
    assert status == 0, out
    status, out, _ = cli(capsys, "repair", damaged)
    assert status == 0 and "nothing to repair" in out


def test_apply_is_also_spelled_force(damaged, capsys):
    status, _, _ = cli(capsys, "repair", damaged, "--force")
    assert status == 0 and DatasetReader(damaged).num_episodes == 2


@pytest.mark.parametrize("action", ["check", "repair", "info"])
@pytest.mark.parametrize("damage, message", [
    ("missing", "no meta/info.json"),
    ("garbage", "meta/info.json cannot be read"),
])
def test_errors_are_one_line_naming_the_file_and_the_fix(healthy, tmp_path, capsys, action, damage, message):
    root = tmp_path / "ds"
    shutil.copytree(healthy, root)
    info = root / "meta/info.json"
    if damage == "missing":
        info.unlink()
    else:
        info.write_bytes(info.read_bytes()[:100])
    before = files(root)
    status, out, err = cli(capsys, action, root, *(["--apply"] if action == "repair" else []))
    assert status == 1 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert "restore it from a backup" in err or "pass the dataset root" in err
    assert files(root) == before
