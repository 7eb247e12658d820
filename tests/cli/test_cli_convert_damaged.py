"""``lerobot-ros convert --append`` onto a dataset with a damaged committed episode: it refuses in one
line naming the file and ``lerobot-ros dataset repair``, changes nothing, and appends once the
dataset was repaired with --apply (through the real entry point, in process)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parents[1] / "recording"))
from bag_scenarios import config, session  # noqa: E402
from bag_writers import write_rosbags  # noqa: E402

from lerobot_ros.cli.main import main  # noqa: E402
from lerobot_ros.dataset import DatasetReader  # noqa: E402


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_append_refuses_a_damaged_dataset_until_it_is_repaired(tmp_path, capsys):
    bag = write_rosbags(tmp_path / "bag", session(duration_s=2.0, tasks=((0.0, "x"),), language=()).messages, "mcap")
    cfg = tmp_path / "recording.yaml"
    cfg.write_text(yaml.safe_dump(config(language=False)))
    out = tmp_path / "ds"
    args = ["convert", str(bag), "--config", str(cfg), "--out", str(out), "--codec", "libx264", "--no-progress"]
    assert main([*args, "--range", "0.2:0.8:pick", "--range", "1.0:1.6:place"]) == 0
    mp4 = next((out / "videos").glob("*/chunk-000/file-000.mp4"))
    mp4.write_bytes(mp4.read_bytes()[: mp4.stat().st_size // 2])
    capsys.readouterr()
    before = files(out)

    assert main([*args, "--task", "more", "--append"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert str(mp4.relative_to(out)) in err and f"lerobot-ros dataset repair {out} --apply" in err
    assert files(out) == before

    assert main(["dataset", "repair", str(out), "--apply"]) == 0
    assert main([*args, "--task", "more", "--append"]) == 0
    assert DatasetReader(out).num_episodes == 1  # the damaged shard held both episodes; the new one follows
    assert len(list(tmp_path.glob("ds.damaged-*"))) == 1
