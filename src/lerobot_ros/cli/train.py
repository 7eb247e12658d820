"""Train SmolVLA2 on a LeRobotDataset v3.0 (a local folder or a Hub dataset repo id) with its language
annotations, rendered through a recipe. Writes checkpoints, log.jsonl and loss_curves.png into
--output-dir. Several GPUs: start the same command under torchrun (see docs/training.md).

examples:
  # fine-tune a SmolVLA checkpoint (from the Hub or a folder)
  lerobot-ros train --dataset me/pick_cube --policy-path lerobot/smolvla_base --output-dir runs/pick
  # a fresh policy over a SmolVLM (its weights loaded, the action expert new)
  lerobot-ros train --dataset ~/datasets/pick_cube --vlm HuggingFaceTB/SmolVLM2-500M-Video-Instruct \\
      --output-dir runs/pick --steps 20000 --batch-size 64
  # PI052 (pi0.5 with a language head) from a LeRobot pi05 checkpoint
  lerobot-ros train --policy pi052 --dataset me/pick_cube --policy-path lerobot/pi05_base --output-dir runs/pi052
  # continue an interrupted run
  lerobot-ros train --output-dir runs/pick --resume
  # 4 GPUs (batch size is per GPU)
  torchrun --standalone --nproc-per-node 4 -m lerobot_ros.cli.main train --dataset ... --output-dir runs/pick
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

NAME = "train"
HELP = "train SmolVLA2 or PI052 on a LeRobot dataset (checkpoints, resume, validation, multi-GPU)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", help="dataset folder or Hub dataset repo id (<owner>/<name>)")
    parser.add_argument("--output-dir", required=True, type=Path, help="run folder (checkpoints, logs)")
    parser.add_argument("--policy", choices=("smolvla2", "pi052"),
                        help="the model: smolvla2 (default) or pi052 (pi0.5 with a language head)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--policy-path", help="checkpoint folder or Hub id to fine-tune from")
    source.add_argument("--vlm", help="SmolVLM folder or Hub id for a fresh policy (default: SmolVLM2-500M; for "
                                      "pi052 a PaliGemma folder with its expert_config.json)")
    parser.add_argument("--policy-overrides", type=json.loads, default=None, metavar="JSON",
                        help='SmolVLA2Config fields for a fresh policy, e.g. \'{"chunk_size": 30}\'')
    parser.add_argument("--rename-map", type=json.loads, default=None, metavar="JSON",
                        help='dataset camera -> policy camera, e.g. \'{"observation.images.front": '
                             '"observation.images.camera1"}\' (for checkpoints trained on other camera names)')
    parser.add_argument("--recipe", help="recipe YAML (default: the shipped config/recipes/<policy>_hirobot.yaml)")
    parser.add_argument("--steps", type=int, help="total optimizer steps (default 20000)")
    parser.add_argument("--batch-size", type=int, help="samples per micro-batch and process (default 8)")
    parser.add_argument("--grad-accum", type=int, help="micro-batches per optimizer step (default 1)")
    parser.add_argument("--lr", type=float, help="peak learning rate (default: the policy's preset, 2.5e-5)")
    parser.add_argument("--warmup-steps", type=int)
    parser.add_argument("--decay-steps", type=int)
    parser.add_argument("--decay-lr", type=float)
    parser.add_argument("--device", help="auto (default), cpu, cuda or cuda:<n>")
    parser.add_argument("--no-bf16", action="store_true", help="train in float32 on CUDA")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--val-fraction", type=float, help="episodes held out for validation (default 0.1)")
    parser.add_argument("--val-every", type=int)
    parser.add_argument("--log-every", type=int)
    parser.add_argument("--save-every", type=int)
    parser.add_argument("--num-workers", type=int, help="data loader processes per GPU (default 2)")
    parser.add_argument("--ddp-bucket-mb", type=int, help="gradient all-reduce bucket size under torchrun (default 25)")
    parser.add_argument("--frame-cache-mb", type=int,
                        help="decoded frames kept per loader process (default 2048; 0: decode each sample's frame)")
    parser.add_argument("--min-state-std", type=float,
                        help="least std observation.state is normalized with, in the dataset's units (default 0.01): "
                             "a joint that never moved in the data is otherwise divided by ~0")
    parser.add_argument("--resume", action="store_true", help="continue the run in --output-dir from its last checkpoint")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _optimizer_overrides(args) -> dict:
    names = {"lr": args.lr, "warmup_steps": args.warmup_steps, "decay_steps": args.decay_steps,
             "decay_lr": args.decay_lr}
    return {k: v for k, v in names.items() if v is not None}


def build_config(args):
    """The TrainConfig of a command line (for --resume: the saved one, with the options given)."""
    from ..training import TrainConfig
    from ..training.sources import check_dataset_name

    fields = {
        "dataset": args.dataset, "policy_type": args.policy, "policy_path": args.policy_path, "vlm": args.vlm,
        "policy_overrides": args.policy_overrides, "rename_map": args.rename_map, "recipe": args.recipe,
        "steps": args.steps,
        "batch_size": args.batch_size, "grad_accum_steps": args.grad_accum, "device": args.device,
        "seed": args.seed, "val_fraction": args.val_fraction, "val_every": args.val_every,
        "log_every": args.log_every, "save_every": args.save_every, "num_workers": args.num_workers,
        "ddp_bucket_mb": args.ddp_bucket_mb,
        "frame_cache_mb": args.frame_cache_mb, "min_state_std": args.min_state_std,
    }
    fields = {k: v for k, v in fields.items() if v is not None}
    if args.no_bf16:
        fields["bf16"] = False
    if args.no_progress:
        fields["progress"] = False
    optimizer = _optimizer_overrides(args)
    if args.resume:
        saved = TrainConfig.load(args.output_dir).to_json()
        saved.update(fields)
        saved["optimizer_overrides"] = {**saved.get("optimizer_overrides", {}), **optimizer}
        saved.update(resume=True, output_dir=str(args.output_dir))
        return TrainConfig(**saved)
    if not args.dataset:
        raise ValueError("--dataset is required (a dataset folder or Hub repo id), unless --resume")
    check_dataset_name(args.dataset)
    return TrainConfig(output_dir=str(args.output_dir), optimizer_overrides=optimizer, **fields)


def run(args: argparse.Namespace) -> int:
    try:
        config = build_config(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"lerobot-ros train: {error}", file=sys.stderr)
        return 2
    from ..training import train

    result = train(config)
    if os.environ.get("RANK", "0") == "0":  # under torchrun, one line, not one per process
        print(f"trained to step {result.step}; checkpoint {result.checkpoint}; log {result.log}; plot {result.plot}")
    return 0
