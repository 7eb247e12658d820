"""Training checkpoints in LeRobot's layout, safetensors and JSON only (nothing is unpickled on load):

    <output_dir>/checkpoints/<step:06d>/pretrained_model/   policy.save_pretrained (a usable policy)
    <output_dir>/checkpoints/<step:06d>/training_state/
        optimizer_state.safetensors    AdamW moments and step counts, keyed state.<param>.<name>
        optimizer_param_groups.json    hyper-parameters of each parameter group
        scheduler_state.json           the LambdaLR counters
        rng_state.safetensors          torch CPU (and CUDA) generator states
        training_step.json             {"step": N}
    <output_dir>/checkpoints/last -> <step:06d>

``pretrained_model/lerobot_ros.json`` is the dataset's feature contract (``meta/lerobot_ros.json``, when
it has one, cameras renamed as the policy reads them): which topic, joints and units each feature came
from, so policy_node feeds the policy as it was recorded (docs/policy.md).

A checkpoint folder is written under a hidden temporary name and renamed into place, and ``last``
is replaced atomically, so an interrupted save never leaves a half checkpoint behind ``last``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

CHECKPOINTS = "checkpoints"
LAST = "last"
PRETRAINED = "pretrained_model"
STATE = "training_state"


def checkpoint_dir(output_dir: Path, step: int) -> Path:
    return Path(output_dir) / CHECKPOINTS / f"{step:06d}"


def last_checkpoint(output_dir: Path) -> Path | None:
    last = Path(output_dir) / CHECKPOINTS / LAST
    return last.resolve() if last.exists() else None


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list[dict]]:
    state = optimizer.state_dict()
    tensors = {}
    for param_id, entries in state["state"].items():
        for name, value in entries.items():
            value = value if isinstance(value, torch.Tensor) else torch.tensor(value)
            tensors[f"state.{param_id}.{name}"] = value.detach().cpu().contiguous()
    return tensors, state["param_groups"]


def _rng_tensors() -> dict[str, torch.Tensor]:
    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for index, value in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda.{index}"] = value
    return tensors


def copy_contract(dataset_root: Path, pretrained_dir: Path, rename_map: dict | None = None) -> Path | None:
    """The dataset's feature contract into the checkpoint, its camera keys renamed as the policy's
    (``--rename-map``); None when the dataset has none (not recorded or converted by lerobot_ros)."""
    from ..recording.contract import CONTRACT_FILE

    source = Path(dataset_root) / "meta" / CONTRACT_FILE
    if not source.is_file():
        return None
    contract = json.loads(source.read_text(encoding="utf-8"))
    rename = rename_map or {}
    for feature in contract.get("features", []):
        feature["key"] = rename.get(feature["key"], feature["key"])
    for topic in contract.get("language") or []:
        if topic.get("camera"):
            topic["camera"] = rename.get(topic["camera"], topic["camera"])
    target = Path(pretrained_dir) / CONTRACT_FILE
    target.write_text(json.dumps(contract, indent=2), encoding="utf-8")
    return target


def save_checkpoint(output_dir: Path, step: int, policy, optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler, dataset_root: Path | None = None,
                    rename_map: dict | None = None) -> Path:
    """``dataset_root``: the training dataset, whose feature contract the checkpoint carries."""
    final = checkpoint_dir(output_dir, step)
    partial = final.with_name(f".{final.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    policy.save_pretrained(partial / PRETRAINED)
    if dataset_root is not None:
        copy_contract(dataset_root, partial / PRETRAINED, rename_map)
    state_dir = partial / STATE
    state_dir.mkdir(parents=True)
    tensors, groups = _optimizer_tensors(optimizer)
    save_file(tensors, str(state_dir / "optimizer_state.safetensors"))
    (state_dir / "optimizer_param_groups.json").write_text(json.dumps(groups, indent=2), encoding="utf-8")
    (state_dir / "scheduler_state.json").write_text(json.dumps(scheduler.state_dict(), indent=2), encoding="utf-8")
    save_file(_rng_tensors(), str(state_dir / "rng_state.safetensors"))
    (state_dir / "training_step.json").write_text(json.dumps({"step": step}), encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(partial, final)
    link = final.parent / LAST
    tmp_link = final.parent / f".{LAST}.partial"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(final.name)
    os.replace(tmp_link, link)
    return final


def load_training_state(folder: Path, optimizer: torch.optim.Optimizer,
                        scheduler: torch.optim.lr_scheduler.LRScheduler) -> int:
    """Restore optimizer, scheduler and RNG from ``folder/training_state``; returns the step."""
    state_dir = Path(folder) / STATE
    if not state_dir.is_dir():
        raise FileNotFoundError(f"{state_dir} not found: not a training checkpoint folder")
    groups = json.loads((state_dir / "optimizer_param_groups.json").read_text(encoding="utf-8"))
    for group in groups:
        if "betas" in group:
            group["betas"] = tuple(group["betas"])
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in load_file(str(state_dir / "optimizer_state.safetensors")).items():
        _, param_id, name = key.split(".", 2)
        state.setdefault(int(param_id), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    scheduler.load_state_dict(json.loads((state_dir / "scheduler_state.json").read_text(encoding="utf-8")))
    rng = load_file(str(state_dir / "rng_state.safetensors"))
    torch.set_rng_state(rng["torch"])
    cuda_states = [rng[f"cuda.{i}"] for i in range(len(rng) - 1)]
    if cuda_states and torch.cuda.is_available() and len(cuda_states) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda_states)
    return int(json.loads((state_dir / "training_step.json").read_text(encoding="utf-8"))["step"])
