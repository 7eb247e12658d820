"""Run in a LeRobot reference venv (0.6.1 or 0.4.4): write a small dataset with LeRobotDataset.create and
dump what was recorded, for our reader to be checked against.

Usage: python write_with_lerobot.py <root> <out_dir>. Writes out_dir/recorded.npz (state, action,
camera frames, episode lengths) and out_dir/tasks.json (the task of every frame). Every frame carries
``episode << 8 | frame`` in a barcode (tests/frame_barcode.py, numpy only), so the reader's frames
can be checked one by one for identity; LeRobot encodes them with its own defaults (AV1, crf 30).
"""

import json
import os
import sys
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for frame_barcode

import numpy as np  # noqa: E402
from frame_barcode import stamp  # noqa: E402
from lerobot.datasets.lerobot_dataset import LeRobotDataset  # noqa: E402

FPS, HEIGHT, WIDTH = 10, 48, 64
root, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
features = {
    "observation.state": {"dtype": "float32", "shape": (3,), "names": ["a", "b", "c"]},
    "action": {"dtype": "float32", "shape": (3,), "names": ["a", "b", "c"]},
    "observation.images.front": {"dtype": "video", "shape": (HEIGHT, WIDTH, 3),
                                 "names": ["height", "width", "channels"]},
}
dataset = LeRobotDataset.create("local/written_by_lerobot", fps=FPS, features=features, root=root,
                                robot_type="so_follower", use_videos=True)
rng = np.random.default_rng(7)
recorded: dict[str, list] = {"observation.state": [], "action": [], "observation.images.front": []}
tasks, lengths = [], [4, 6, 5]
y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
for episode, length in enumerate(lengths):
    for frame in range(length):
        image = stamp(np.stack([(50 + 2 * x + 6 * frame) % 256, (30 + 3 * y + 9 * episode) % 256,
                                np.full_like(x, 90 + 10 * frame)], axis=-1).astype(np.uint8), episode << 8 | frame)
        values = {
            "observation.state": rng.normal(size=3).astype(np.float32),
            "action": rng.normal(size=3).astype(np.float32),
            "observation.images.front": image,
        }
        task = ["stack the blocks", "wave"][(episode + frame) % 2]
        dataset.add_frame({**values, "task": task})
        for key, value in values.items():
            recorded[key].append(value)
        tasks.append(task)
    dataset.save_episode()
dataset.finalize()
np.savez(out / "recorded.npz", lengths=np.array(lengths), **{k: np.stack(v) for k, v in recorded.items()})
(out / "tasks.json").write_text(json.dumps(tasks))
