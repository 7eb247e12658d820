"""Multi-GPU scaling of SmolVLA2 training (issue 8): samples/s on 1 and N GPUs, scaling efficiency, and
the two loss curves compared.

Both runs train the same global batch: N GPUs with ``--batch-size B`` each, and one GPU with
``--batch-size B --grad-accum N``. The training loop seeds every micro-batch from its global index
(``lerobot_ros.training.step_sampler``), so both runs see the same samples with the same flow-matching
noise and their loss curves must agree (up to bf16 and all-reduce rounding). Scaling efficiency is
``samples/s(N) / (N * samples/s(1))``: the one-GPU run processes micro-batches of the same size
one after another, so it is the per-GPU throughput without communication.

The model is the full-size SmolVLA2 (SmolVLM2-500M dimensions, 16 of 32 text layers, 0.75-width
expert: 450M parameters) with random weights; the dataset is synthetic (written with our
DatasetWriter, libx264), annotated with every language row kind of the shipped recipe, two cameras.
Nothing is downloaded. Needs torch, transformers, tokenizers, safetensors, pyarrow, av, numpy, pyyaml,
tqdm, matplotlib, huggingface_hub.

    # GPU machine, from the repository root (N = number of GPUs; --gpus 1: the one-GPU run alone)
    PYTHONPATH=src python3 benchmarks/train_scaling.py --gpus 2 --steps 200 --batch-size 16 --out /tmp/scaling
    # CPU smoke check of the same path: tiny model, two gloo processes
    PYTHONPATH=src .venv/bin/python benchmarks/train_scaling.py --cpu-smoke --out /tmp/scaling_smoke
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from lerobot_ros.training.metrics import read_log
from lerobot_ros.training.synthetic import SyntheticSpec, write_synthetic_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The same full-size SmolVLM2-500M folder as the latency benchmark (real dimensions, small tokenizer).
from policy_latency import write_smolvlm2_500m  # noqa: E402

CAMERAS = ("observation.images.front", "observation.images.wrist")
# NVLink multicast stays off in NCCL, PyTorch and NVSHMEM: on shared GPU hosts it can take the GPUs
# out of service. Forced in the children's environment, whatever the caller's says.
NO_MULTICAST = {"NCCL_NVLS_ENABLE": "0", "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1", "NVSHMEM_DISABLE_NVLS": "1"}
WARMUP_STEPS = 20  # steps left out of the throughput (CUDA init, loader start, allocator growth)


def prepare(out: Path, smoke: bool) -> tuple[Path, Path, dict]:
    """(dataset, VLM folder, policy overrides), written once into ``out``."""
    spec = (SyntheticSpec(episodes=4, frames_per_phase=8, cameras=CAMERAS) if smoke
            else SyntheticSpec(episodes=24, frames_per_phase=30, fps=30, cameras=CAMERAS, height=256, width=256))
    dataset = out / "dataset"
    if not dataset.exists():
        write_synthetic_dataset(dataset, spec)
    if smoke:
        from lerobot_ros.policies.smolvla2 import write_tiny_vlm
        from lerobot_ros.training.quick import dataset_corpus, tiny_policy_overrides

        vlm = out / "tiny_vlm"
        if not vlm.exists():
            write_tiny_vlm(vlm, corpus=dataset_corpus(dataset))
        return dataset, vlm, tiny_policy_overrides(vlm, chunk_size=10, n_action_steps=10)
    vlm = out / "smolvlm2_500m"
    if not vlm.exists():
        vlm.mkdir(parents=True)
        write_smolvlm2_500m(vlm)
    return dataset, vlm, {"load_vlm_weights": False}


def train_run(out: Path, gpus: int, total_gpus: int, args, dataset: Path, vlm: Path, overrides: dict) -> Path:
    """One ``lerobot-ros train`` under torchrun; the global batch is the same for every ``gpus``."""
    run_dir = out / f"run_{gpus}"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={gpus}",
               "-m", "lerobot_ros.cli.main", "train", "--dataset", str(dataset), "--vlm", str(vlm),
               "--policy-overrides", json.dumps(overrides), "--output-dir", str(run_dir),
               "--steps", str(args.steps), "--batch-size", str(args.batch_size),
               "--grad-accum", str(total_gpus // gpus), "--log-every", "1", "--val-every", str(args.steps),
               "--save-every", str(args.steps), "--num-workers", str(args.num_workers), "--no-progress",
               # Each sample decodes its own frames (GOP 2: one or two frame decodes per camera), so no
               # start-up burst of whole-episode decoding falls into the timed steps.
               "--frame-cache-mb", "0",
               "--device", "cpu" if args.cpu_smoke else "cuda"]
    if args.cpu_smoke:
        command += ["--lr", "3e-3", "--warmup-steps", "2", "--decay-steps", str(args.steps), "--decay-lr", "3e-4"]
    env = {**os.environ, **NO_MULTICAST,
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1" if args.cpu_smoke else "4")}
    print(f"[{gpus} {'process' if args.cpu_smoke else 'GPU'}(s)] {' '.join(command)}", flush=True)
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env)
    print(f"[{gpus}] finished in {time.perf_counter() - start:.0f} s", flush=True)
    return run_dir


def summarize(run_dir: Path) -> dict:
    train = [r for r in read_log(run_dir / "log.jsonl") if r["split"] == "train"]
    timed = [r for r in train if r["step"] > WARMUP_STEPS] or train
    # elapsed_s is the time since the run started, logged after every step
    first, last = timed[0], timed[-1]
    steps_per_s = (len(timed) - 1) / (last["elapsed_s"] - first["elapsed_s"]) if len(timed) > 1 else math.nan
    return {"losses": [r["loss"] for r in train], "steps_per_s": steps_per_s,
            "median_samples_per_s": float(np.median([r["samples_per_s"] for r in timed]))}


def plot(curves: dict[str, list[float]], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for label, losses in curves.items():
        ax.plot(range(1, len(losses) + 1), losses, label=label, alpha=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("train loss")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gpus", type=int, default=2, help="N: GPUs (or gloo processes with --cpu-smoke)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=16, help="per GPU and micro-batch")
    parser.add_argument("--num-workers", type=int, default=4, help="data loader processes per GPU")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cpu-smoke", action="store_true", help="tiny model on the CPU, gloo")
    args = parser.parse_args()
    if args.cpu_smoke:
        args.steps, args.batch_size, args.num_workers = min(args.steps, 30), min(args.batch_size, 4), 0
    if args.gpus < 1:
        parser.error("--gpus must be at least 1")
    if not args.cpu_smoke:
        import torch

        if torch.cuda.device_count() < args.gpus:
            parser.error(f"--gpus {args.gpus}: torch sees {torch.cuda.device_count()} CUDA devices")
    args.out.mkdir(parents=True, exist_ok=True)
    dataset, vlm, overrides = prepare(args.out, args.cpu_smoke)

    counts = sorted({1, args.gpus})
    runs = {n: summarize(train_run(args.out, n, args.gpus, args, dataset, vlm, overrides)) for n in counts}
    global_batch = args.batch_size * args.gpus
    result = {
        "device": "cpu (gloo, tiny model)" if args.cpu_smoke else _gpu_name(),
        "gpus": args.gpus, "steps": args.steps, "batch_per_gpu": args.batch_size, "global_batch": global_batch,
    }
    for n, run in runs.items():
        result[f"steps_per_s_{n}"] = run["steps_per_s"]
        result[f"samples_per_s_{n}"] = run["steps_per_s"] * global_batch
        result[f"loss_first_last_{n}"] = [run["losses"][0], run["losses"][-1]]
    if args.gpus > 1:
        a, b = np.array(runs[1]["losses"]), np.array(runs[args.gpus]["losses"])
        relative = np.abs(a - b) / np.maximum(np.abs(a), 1e-12)
        result.update({
            "scaling_efficiency": result[f"samples_per_s_{args.gpus}"] / (args.gpus * result["samples_per_s_1"]),
            # One GPU runs the N micro-batches back to back: its step / N is one micro-batch's compute.
            # N GPUs run one each, then all-reduce: what their step takes beyond that compute is the
            # communication the backward pass did not hide.
            "step_s_compute": 1 / (args.gpus * result["steps_per_s_1"]),
            "step_s_exposed_communication": 1 / result[f"steps_per_s_{args.gpus}"]
            - 1 / (args.gpus * result["steps_per_s_1"]),
            "loss_rel_diff_max": float(relative.max()), "loss_rel_diff_mean": float(relative.mean()),
            "loss_rel_diff_mean_last_50": float(relative[-50:].mean()),
        })
    (args.out / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    labels = {1: "1 GPU" + (f" ({args.gpus} accumulation steps)" if args.gpus > 1 else ""),
              args.gpus: f"{args.gpus} GPUs (DDP)"}
    plot({labels[n]: run["losses"] for n, run in runs.items()}, args.out / "loss_curves.png")
    print(json.dumps(result, indent=2))
    return 0


def _gpu_name() -> str:
    import torch

    return torch.cuda.get_device_name(0)


if __name__ == "__main__":
    sys.exit(main())
