"""Per-sample cost of the policy's text side: recipe rendering (ours vs LeRobot 0.6.1's renderer on
the same rows), chat tokenization, and the FAST action tokenizer.

Data loading runs these for every training sample on the CPU, next to video decoding, so they
must stay far below a training step. The episode is synthetic: 60 s at 30 fps with 12 subtasks,
12 memories, 3 plans, 3 interjections with speech and 10 VQA pairs (one camera per frame, since
LeRobot's renderer resolves every default binding and refuses two cameras' answers on one frame).

    .venv/bin/python benchmarks/recipe_rendering.py     # needs the oracle venv (make oracle)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from lerobot_ros.dataset.language import LanguageRow, say
from lerobot_ros.policies.chat import ChatTokenizer
from lerobot_ros.policies.fast import FastActionTokenizer
from lerobot_ros.policies.recipes import FrameLanguage, load_recipe, shipped_recipe_path

REPO = Path(__file__).resolve().parents[1]
ORACLE_DIR = REPO / "tests" / "policies" / "recipe_oracle"
FPS, SECONDS = 30, 60
FRONT, WRIST = "observation.images.front", "observation.images.wrist"
TASK = "put every block in the box"


def episode() -> tuple[list[LanguageRow], dict[int, list[LanguageRow]]]:
    """Persistent rows and the events of each frame that has some."""
    rows = [LanguageRow("assistant", f"subtask {i}: move block {i}", "subtask", timestamp=5.0 * i) for i in range(12)]
    rows += [LanguageRow("assistant", f"{i} blocks are in the box", "memory", timestamp=5.0 * i) for i in range(12)]
    rows += [LanguageRow("assistant", f"plan {i}: blocks in order", "plan", timestamp=20.0 * i) for i in range(3)]
    events: dict[int, list[LanguageRow]] = {}
    for i in range(3):
        events[600 * i + 3] = [LanguageRow("user", f"hurry up {i}", "interjection"), say(f"okay {i}")]
    for i in range(10):
        camera = FRONT if i % 2 == 0 else WRIST
        events[170 * i + 50] = [LanguageRow("user", f"where is block {i}?", "vqa", camera=camera),
                                LanguageRow("assistant", json.dumps({"label": f"block {i}", "point_format": "xy",
                                                                     "point": [i, i]}), "vqa", camera=camera)]
    return rows, events


def stored(row: LanguageRow) -> dict:
    """A row as a parquet reader hands it over (LeRobot's form: tool calls parsed)."""
    return {**row.to_arrow(), "tool_calls": list(row.tool_calls)}


def time_ours(recipe, frames: list[FrameLanguage], indices: list[int]) -> tuple[float, list]:
    start = time.perf_counter()
    rendered = [recipe.render(frame, index) for frame, index in zip(frames, indices)]
    return time.perf_counter() - start, rendered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--oracle-python", default=str(Path(os.environ.get(
        "LEROBOT_ORACLE_VENV", Path.home() / ".cache" / "lerobot-oracle-0.6.1")) / "bin" / "python"))
    parser.add_argument("--chunks", type=int, default=2000, help="FAST: chunks to fit on")
    args = parser.parse_args()

    rows, row_events = episode()
    persistent = [stored(r) for r in rows]
    events = {f: [stored(r) for r in rs] for f, rs in row_events.items()}
    n = FPS * SECONDS
    times = [float(np.float32(i / FPS)) for i in range(n)]
    indices = list(range(n))

    def frames(as_rows: bool = False) -> list[FrameLanguage]:
        """Fresh frames (a frame converts its rows once, then keeps them): row dicts as stored, or
        ``LanguageRow`` objects as the training loader passes them (``DatasetReader.episode_language``)."""
        if as_rows:
            return [FrameLanguage(TASK, times[i], rows, row_events.get(i, [])) for i in range(n)]
        return [FrameLanguage(TASK, times[i], persistent, events.get(i, [])) for i in range(n)]

    # Recipe rendering, ours and LeRobot's, on the LeRobot-compatible blend.
    blend_path = ORACLE_DIR / "blend_lerobot_0_6_1.yaml"
    ours_s, ours = time_ours(load_recipe(blend_path), frames(), indices)
    with tempfile.TemporaryDirectory() as tmp:
        cases = [{"persistent": persistent, "events": events.get(i, []), "t": times[i], "sample_idx": i, "task": TASK}
                 for i in range(n)]
        Path(tmp, "cases.json").write_text(json.dumps({"recipe": yaml.safe_load(blend_path.read_text()),
                                                       "cases": cases}))
        subprocess.run([args.oracle_python, str(ORACLE_DIR / "render_with_lerobot.py"), f"{tmp}/cases.json",
                        f"{tmp}/out.json"], check=True, env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
        theirs = json.loads(Path(tmp, "out.json").read_text())
    same = all((s and {"messages": s.messages, "message_streams": s.streams,
                       "target_message_indices": s.targets}) == (t or None)
               for s, t in zip(ours, theirs["results"]))

    # The shipped blend (route: vqa renders the VQA components first) and chat tokenization.
    shipped_s, shipped = time_ours(load_recipe(shipped_recipe_path()), frames(as_rows=True), indices)
    from transformers import AutoTokenizer

    from lerobot_ros.policies.smolvla2.tiny import write_tiny_vlm

    with tempfile.TemporaryDirectory() as tmp:
        chat = ChatTokenizer(AutoTokenizer.from_pretrained(write_tiny_vlm(tmp)), max_length=512)
    samples = [s for s in shipped if s is not None]
    start = time.perf_counter()
    encoded = [chat.encode_sample(s) for s in samples]
    chat_s = time.perf_counter() - start

    # FAST on smooth normalized chunks (50 x 6).
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, 50)[None, :, None]
    shape = (args.chunks, 1, 6)
    phase = rng.uniform(0.2, 1.5, shape) * t + rng.uniform(0, 1, shape)
    chunks = rng.uniform(0.5, 2, shape) * np.sin(2 * np.pi * phase) + rng.normal(0, 0.02, (args.chunks, 50, 6))
    start = time.perf_counter()
    fast = FastActionTokenizer().fit(chunks)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    ids = [fast.encode(c) for c in chunks[:500]]
    encode_s = (time.perf_counter() - start) / 500
    start = time.perf_counter()
    decoded = np.stack([fast.decode(i, 50, 6) for i in ids])
    decode_s = (time.perf_counter() - start) / 500

    us = 1e6
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print("| measurement | value |\n|---|---|")
    print(f"| render, LeRobot-compatible blend, ours, stored row dicts (per sample, {n} samples) | "
          f"{ours_s / n * us:.0f} us |")
    print(f"| render, same blend and rows, LeRobot 0.6.1 `render_sample` | {theirs['seconds'] / n * us:.0f} us |")
    print(f"| ratio LeRobot / ours | {theirs['seconds'] / ours_s:.2f}x |")
    print(f"| identical rendered samples | {same} |")
    print(f"| render, shipped smolvla2_hirobot blend, LanguageRow rows (per sample) | {shipped_s / n * us:.0f} us "
          f"({len(samples)} of {n} supervised) |")
    print(f"| ChatTokenizer.encode_sample, tiny SmolVLM tokenizer (per sample) | {chat_s / len(samples) * us:.0f} us, "
          f"{np.mean([len(e.tokens) for e in encoded]):.0f} tokens on average |")
    print(f"| FAST fit ({args.chunks} chunks of 50 x 6) | {fit_s:.2f} s, vocab {fast.vocab_size} |")
    print(f"| FAST encode / decode (per chunk) | {encode_s * us:.0f} / {decode_s * us:.0f} us |")
    print(f"| FAST tokens per chunk (300 values) | {np.mean([len(i) for i in ids]):.1f} |")
    print(f"| FAST round-trip max abs error (scale 10) | {np.abs(decoded - chunks[:500]).max():.3f} |")


if __name__ == "__main__":
    main()
