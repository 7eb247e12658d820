"""Closed-loop evaluation benchmark on the physics twin: record expert demonstrations, train, evaluate.

    .venv/bin/python benchmarks/eval.py --demos 50 --train-steps 2000 --episodes 50 --output bench_eval
    .venv/bin/python benchmarks/eval.py --demos 10 --train-steps 300 --episodes 10   # a CPU-sized run
    .venv/bin/python benchmarks/eval.py --dataset rec/dataset --checkpoint gpu/smolvla2 \
        --lerobot-checkpoint gpu/act --output bench_eval     # trained elsewhere (a GPU), evaluated here

1. ``--demos`` demonstrations of the scripted expert through teleop_node and recorder_node (seeds 0..),
2. a tiny SmolVLA2 (``--policy-type smolvla2``, or ``pi052``) trained on them for ``--train-steps``,
3. ``lerobot-ros eval``'s evaluation of the checkpoint on ``--episodes`` scenes (seeds 1000..), with
   ``--reference-episodes`` expert episodes on the same scenes for the smoothness reference, once per
   ``--chunk-blendings`` (policy_node's ``chunk_blending``: the cross-fade and real-time chunking),
4. ``--lerobot-checkpoint``: a LeRobot policy trained on the same demonstrations by ``lerobot-train``
   (ACT in docs/benchmarks.md), evaluated the same way through policy_node's LeRobot backend, once
   per blending; a blending the policy cannot do (real-time chunking needs a flow-matching policy)
   is reported with policy_node's refusal instead of a score,
5. the same scenes for the present-pose baseline (the floor: 0 %), unless ``--no-baseline``.

``--dataset`` and ``--checkpoint`` skip the recording and the training: the demonstrations recorded
by an earlier run, a checkpoint trained on them elsewhere (the GPU machine).

Prints one JSON line per stage (times, success rate and Wilson interval, smoothness, real-time factor)
and writes them to ``<output>/benchmark.json``.
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
    parser.add_argument("--dataset", type=Path, help="demonstrations recorded earlier: skip the recording")
    parser.add_argument("--checkpoint", type=Path, help="a checkpoint trained on them: skip the training")
    parser.add_argument("--lerobot-checkpoint", type=Path,
                        help="also evaluate this LeRobot checkpoint (e.g. lerobot-train's ACT) through the LeRobot backend")
    parser.add_argument("--no-baseline", action="store_true", help="leave the present-pose baseline out")
    args = parser.parse_args()
    for given in (args.dataset, args.checkpoint, args.lerobot_checkpoint):
        if given is not None and not given.is_dir():
            parser.error(f"{given} is not a folder")
        if given is not None and args.output.resolve() in given.resolve().parents:
            parser.error(f"{given} is inside --output {args.output}, which the run empties first")
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

    dataset = args.dataset
    if dataset is None:
        t = time.monotonic()
        dataset = out / "dataset"
        demos = record_demonstrations(dataset, args.demos, speed=args.expert_speed, progress=tqdm_progress)
        stage("record", t, episodes=len(demos), takes=max(o.seed for o in demos) + 1)

    checkpoint = args.checkpoint
    if checkpoint is None:
        t = time.monotonic()
        checkpoint = train_tiny_checkpoint(dataset, out / "train", steps=args.train_steps,
                                           batch_size=args.batch_size, policy_type=args.policy_type)
        stage("train", t, checkpoint=str(checkpoint))

    blendings = [b.strip() for b in args.chunk_blendings.split(",") if b.strip()]

    def per_blending(label: str, policy: Path):
        for blending in blendings:
            yield f"{label}_{blending}", EvalSettings(
                output=out / f"{label}_{blending}", checkpoint=str(policy), episodes=args.episodes,
                timeout_s=args.timeout_s, reference_episodes=args.reference_episodes,
                policy_parameters={"chunk_blending": blending})

    runs = list(per_blending("eval", checkpoint))
    if args.lerobot_checkpoint is not None:
        runs += per_blending("lerobot", args.lerobot_checkpoint)
    if not args.no_baseline:
        runs.append(("baseline", EvalSettings(output=out / "baseline", baseline="present-pose",
                                              episodes=args.episodes, timeout_s=args.timeout_s,
                                              reference_episodes=0, videos=False)))
    for name, settings in runs:
        t = time.monotonic()
        try:
            result = evaluate(settings, progress=tqdm_progress)
        except ValueError as refused:  # e.g. real-time chunking asked of a policy that cannot do it
            stage(name, t, refused=str(refused))
            continue
        report = json.loads((settings.output / "summary.json").read_text())
        stage(name, t, summary=result.summary.as_dict(), real_time_factor=report["settings"]["real_time_factor"])
        (out / "benchmark.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "benchmark.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
