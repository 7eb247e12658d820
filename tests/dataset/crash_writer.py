"""A writer process for the crash tests: records episodes until killed.

Usage: python crash_writer.py <root> <report> <seed> [resume]. Prints READY once imports are done.
After each save_episode returns it appends a JSON line to <report> (fsynced): the episode index,
its length and the sha256 of its camera frames decoded from the folder as saved.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parents[1])]  # dataset_helpers, frame_barcode

from dataset_helpers import CAMERA, create, frames_digest, record_episode  # noqa: E402

from lerobot_ros.dataset import DatasetReader, DatasetWriter, FileLimits  # noqa: E402

# pyarrow imports pandas, where it is installed (LeRobot brings it), when it first writes a table with
# pandas metadata: about a second, paid here before READY, so the seeded kill delays fall into the writing.
try:
    import pandas  # noqa: F401
except ImportError:
    pass

LIMITS = FileLimits(chunks_size=3, data_files_size_in_mb=0.012, video_files_size_in_mb=0.006)


def main() -> None:
    root, report, seed = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    if len(sys.argv) > 4:
        writer = DatasetWriter.resume(root)
    else:
        writer = create(root, language=True, limits=LIMITS)
    print("READY", flush=True)
    with open(report, "a", encoding="utf-8") as out:
        for episode in range(writer.num_episodes, writer.num_episodes + 40):
            saved = record_episode(writer, episode, rng.randint(2, 7), language=True)
            frames = DatasetReader(root).video_frames(saved.episode_index, CAMERA)
            line = {"episode_index": saved.episode_index, "length": saved.length,
                    "frames_sha256": frames_digest(frames)}
            out.write(json.dumps(line) + "\n")
            out.flush()
            os.fsync(out.fileno())


if __name__ == "__main__":
    main()
