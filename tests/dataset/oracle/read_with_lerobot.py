"""Run in a LeRobot reference venv (0.6.1 or 0.4.4): load a dataset with LeRobotDataset, dump every frame.

Usage: python read_with_lerobot.py <root> <out_dir>. Writes out_dir/frames.npz (numeric columns and
uint8 camera frames, stacked over the whole dataset) and out_dir/meta.json (tasks, language rows,
counts, stats keys). No network: HF_HUB_OFFLINE=1 is set before LeRobot is imported.
"""

import json
import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np  # noqa: E402
from lerobot.datasets.lerobot_dataset import LeRobotDataset  # noqa: E402

root, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
ds = LeRobotDataset("local/oracle", root=root, video_backend="pyav")
columns: dict[str, list] = {}
tasks, persistent, events = [], [], []
for i in range(len(ds)):
    item = ds[i]
    for key, value in item.items():
        if key in ("task", "language_persistent", "language_events"):
            continue
        array = value.numpy()
        if key in ds.meta.video_keys:
            array = np.round(array * 255).astype(np.uint8).transpose(1, 2, 0)
        columns.setdefault(key, []).append(array)
    tasks.append(item["task"])
    persistent.append(item.get("language_persistent"))
    events.append(item.get("language_events"))
np.savez(out / "frames.npz", **{k.replace("/", "|"): np.stack(v) for k, v in columns.items()})
meta = {
    "num_frames": len(ds),
    "num_episodes": ds.meta.total_episodes,
    "fps": ds.meta.fps,
    "tasks": tasks,
    "language_persistent": persistent,
    "language_events": events,
    "stats_keys": sorted(ds.meta.stats) if ds.meta.stats else [],
    # info is a dataclass from lerobot 0.5 on, a dict in 0.4.x (which has no tools)
    "tools": ds.meta.info.get("tools") if isinstance(ds.meta.info, dict) else ds.meta.info.tools,
}
(out / "meta.json").write_text(json.dumps(meta, default=str))
