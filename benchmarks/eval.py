"""Closed-loop evaluation benchmark on the physics twin: record expert demonstrations, train, evaluate.

    .venv/bin/python benchmarks/eval.py --demos 50 --train-steps 2000 --episodes 50 --output bench_eval
    .venv/bin/python benchmarks/eval.py --demos 10 --train-steps 300 --episodes 10   # a CPU-sized run

1. ``--demos`` demonstrations of the scripted expert through teleop_node and recorder_node (seeds 0..),
2. a tiny SmolVLA2 (``--policy-type smolvla2``, or ``pi052``) trained on them for ``--train-steps``,
3. ``lerobot-ros eval``'s evaluation of the checkpoint on ``--episodes`` scenes (seeds 1000..), with
   ``--reference-episodes`` expert episodes on the same scenes for the smoothness reference, once per
   ``--chunk-blendings`` (policy_node's ``chunk_blending``: the cross-fade and real-time chunking),
4. the same scenes for the present-pose baseline (the floor: 0 %).

Prints one JSON line per stage (times, success rate and Wilson interval, smoothness, real-time factor)
and writes them to ``<output>/benchmark.json``. LeRobot's ACT (through policy_node's LeRobot
backend) is not wired in here yet (docs/benchmarks.md gives its commands).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path

from lerobot_ros.dds import keep_dds_on_loopback


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("bench_eval"))
    parser.add_argument("--demos", type=int, default=50)
    parser.add_argument("--train-steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--policy-type", default="smolvla2", choices=("smolvla2", "pi052"))
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--reference-episodes", type=int, default=3)
    parser.add_argument("--timeout-s", type=float, default=20.0)
    parser.add_argument("--expert-speed", type=float, default=1.0)
    parser.add_argument("--chunk-blendings", default="crossfade,rtc",
                        help="policy_node chunk_blending values to evaluate the checkpoint with, comma separated")
    args = parser.parse_args()
    keep_dds_on_loopback("benchmarks/eval.py", 65)

    from lerobot_ros.evaluation.run import evaluate, record_demonstrations, tqdm_progress
    from lerobot_ros.evaluation.settings import EvalSettings
    from lerobot_ros.training.quick import train_tiny_checkpoint

    out = args.output
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    load = lambda: os.getloadavg()[0]  # noqa: E731
    results = {"machine": f"{platform.node()} {os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d %H:%M"),
               "args": {k: str(v) for k, v in vars(args).items()}}

    def stage(name: str, started: float, **numbers) -> None:
        results[name] = {"seconds": round(time.monotonic() - started, 1), "load": round(load(), 1), **numbers}
        print(json.dumps({name: results[name]}), flush=True)

    t = time.monotonic()
    demos = record_demonstrations(out / "dataset", args.demos, speed=args.expert_speed, progress=tqdm_progress)
    stage("record", t, episodes=len(demos), takes=max(o.seed for o in demos) + 1)

    t = time.monotonic()
    checkpoint = train_tiny_checkpoint(out / "dataset", out / "train", steps=args.train_steps,
                                       batch_size=args.batch_size, policy_type=args.policy_type)
    stage("train", t, checkpoint=str(checkpoint))

    blendings = [b.strip() for b in args.chunk_blendings.split(",") if b.strip()]
    for name, settings in (
            *((f"eval_{blending}", EvalSettings(
                output=out / f"eval_{blending}", checkpoint=str(checkpoint), episodes=args.episodes,
                timeout_s=args.timeout_s, reference_episodes=args.reference_episodes,
                policy_parameters={"chunk_blending": blending})) for blending in blendings),
            ("baseline", EvalSettings(output=out / "baseline", baseline="present-pose", episodes=args.episodes,
                                      timeout_s=args.timeout_s, reference_episodes=0, videos=False))):
        t = time.monotonic()
        result = evaluate(settings, progress=tqdm_progress)
        report = json.loads((settings.output / "summary.json").read_text())
        stage(name, t, summary=result.summary.as_dict(), real_time_factor=report["settings"]["real_time_factor"])
    (out / "benchmark.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
