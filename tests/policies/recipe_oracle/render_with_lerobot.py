"""Render recipe samples with LeRobot 0.6.1's own renderer; run inside the oracle venv.

Usage: render_with_lerobot.py <cases.json> <out.json>. cases.json holds {"recipe": <recipe dict>,
"cases": [{"persistent", "events", "t", "sample_idx", "task"}]}; out.json gets {"results": one entry
per case, LeRobot's rendered dict (messages, message_streams, target_message_indices) or null,
"seconds": the time the rendering loop took}.
"""

import json
import sys
import time

from lerobot.configs.recipe import TrainingRecipe
from lerobot.datasets.language_render import render_sample


def main(cases_path: str, out_path: str) -> None:
    with open(cases_path) as f:
        data = json.load(f)
    recipe = TrainingRecipe.from_dict(data["recipe"])
    start = time.perf_counter()
    results = [
        render_sample(recipe=recipe, persistent=case["persistent"], events=case["events"], t=case["t"],
                      sample_idx=case["sample_idx"], task=case["task"])
        for case in data["cases"]
    ]
    seconds = time.perf_counter() - start
    with open(out_path, "w") as f:
        json.dump({"results": results, "seconds": seconds}, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
