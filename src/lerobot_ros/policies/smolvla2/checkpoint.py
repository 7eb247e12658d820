"""LeRobot's policy folder layout: finding it, reading and writing weights and normalization stats.

A LeRobot (>= 0.4) SmolVLA checkpoint folder holds ``config.json``, ``model.safetensors`` and the
processor pipelines ``policy_preprocessor.json`` / ``policy_postprocessor.json``, whose normalizer
steps keep the dataset statistics in safetensors files next to them. We read and write exactly
that, plus (ours, ignored by LeRobot) a ``vlm/`` folder with the SmolVLM config and tokenizer, so a
saved folder loads without the Hub. Weights are read from safetensors only: pickle files are
refused, since unpickling runs arbitrary code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor

from ..config_json import ACTION_KEY, STATE_KEY
from .configuration import SmolVLA2Config
from .normalization import DEFAULT_EPS, Stats, as_stats

MODEL_FILE = "model.safetensors"
PREPROCESSOR_FILE = "policy_preprocessor.json"
POSTPROCESSOR_FILE = "policy_postprocessor.json"
VLM_FOLDER = "vlm"
NORMALIZER_STEP = "normalizer_processor"
UNNORMALIZER_STEP = "unnormalizer_processor"
DOWNLOAD_PATTERNS = ["*.json", "*.safetensors", f"{VLM_FOLDER}/*", "fast_tokenizer/*"]
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")

# LeRobot < 0.4 kept the statistics inside the model as buffers, e.g.
# "normalize_inputs.buffer_observation_state.mean"; LeRobot's migration script moves them out.
LEGACY_STATS = re.compile(r"^(?:normalize_inputs|normalize_targets|unnormalize_outputs)\.buffer_(\w+)\.(\w+)$")
LEGACY_FEATURES = {"observation_state": STATE_KEY, "action": ACTION_KEY}
# Wrappers that prefix every key when a model is saved from inside them: DistributedDataParallel
# ("module.") and torch.compile ("_orig_mod."). transformers renamed no SmolVLM or Llama module
# between 4.57 (LeRobot 0.4.4) and 5.x, so the model keys themselves need no mapping; the strict
# load of a LeRobot 0.4.4 checkpoint in tests/policies proves it for every key.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def resolve_folder(name_or_path: str | Path) -> Path:
    """A local checkpoint folder, or the Hub snapshot of a repo id (downloaded by huggingface_hub)."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    name = str(name_or_path)
    if path.exists() or name.startswith((".", "/", "~")) or name.count("/") != 1:
        raise FileNotFoundError(f"{name}: not a checkpoint folder and not a Hub repo id (owner/name)")
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id=name, allow_patterns=DOWNLOAD_PATTERNS))


def read_weights(folder: Path) -> dict[str, Tensor]:
    model_file = folder / MODEL_FILE
    if model_file.is_file():
        return load_file(model_file)
    pickled = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickled:
        raise ValueError(
            f"{folder}: only pickle weights ({', '.join(pickled)}); they are not loaded (unpickling runs code). "
            "Convert them to model.safetensors with a trusted tool first."
        )
    raise FileNotFoundError(f"{folder}: no {MODEL_FILE}")


def map_keys(weights: dict[str, Tensor]) -> tuple[dict[str, Tensor], Stats]:
    """Checkpoint keys -> our keys, and any legacy in-model statistics pulled out of them."""
    mapped: dict[str, Tensor] = {}
    legacy: dict[str, dict[str, Tensor]] = {}
    for key, tensor in weights.items():
        for prefix in WRAPPER_PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix) :]
        match = LEGACY_STATS.match(key)
        if match:
            feature = LEGACY_FEATURES.get(match.group(1))
            if feature is not None:
                legacy.setdefault(feature, {})[match.group(2)] = tensor
            continue
        mapped[key] = tensor
    return mapped, as_stats({k: v for k, v in legacy.items() if {"mean", "std"} <= set(v)})


def load_strict(module: torch.nn.Module, weights: dict[str, Tensor], source: Path) -> None:
    """Every parameter of ``module`` must come from the checkpoint and every checkpoint key be used."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    if missing or unexpected:
        raise ValueError(
            f"{source}: checkpoint keys do not match the model "
            f"({len(missing)} missing, e.g. {missing[:5]}; {len(unexpected)} unexpected, e.g. {unexpected[:5]})"
        )
    wrong = [k for k, t in weights.items() if t.shape != expected[k].shape]
    if wrong:
        raise ValueError(
            f"{source}: shape mismatch for {len(wrong)} keys, e.g. {wrong[0]}: "
            f"{tuple(weights[wrong[0]].shape)} in the file, {tuple(expected[wrong[0]].shape)} in the model"
        )
    module.load_state_dict(weights, strict=True)


def _normalizer_state(folder: Path, pipeline_file: str, step_name: str) -> tuple[dict[str, Tensor], float]:
    path = folder / pipeline_file
    if not path.is_file():
        return {}, DEFAULT_EPS
    pipeline = json.loads(path.read_text())
    for step in pipeline.get("steps", []):
        if step.get("registry_name") == step_name and "state_file" in step:
            eps = float(step.get("config", {}).get("eps", DEFAULT_EPS))
            return load_file(folder / step["state_file"]), eps
    return {}, DEFAULT_EPS


def read_stats(folder: Path) -> tuple[Stats, float]:
    """Mean/std of state and action from the processor files (the postprocessor's action wins)."""
    flat, eps = _normalizer_state(folder, PREPROCESSOR_FILE, NORMALIZER_STEP)
    post, _ = _normalizer_state(folder, POSTPROCESSOR_FILE, UNNORMALIZER_STEP)
    flat.update(post)
    nested: dict[str, dict[str, Tensor]] = {}
    for flat_key, tensor in flat.items():
        feature, stat = flat_key.rsplit(".", 1)
        nested.setdefault(feature, {})[stat] = tensor
    return as_stats({k: v for k, v in nested.items() if {"mean", "std"} <= set(v)}), eps


def write_processors(folder: Path, config: SmolVLA2Config, stats: Stats, eps: float) -> None:
    """LeRobot 0.4.4's two pipelines for SmolVLA, with our statistics in their normalizer steps."""
    features = config.to_json_dict()
    all_features = {**features["input_features"], **features["output_features"]}
    norm_map = dict(config.normalization_mapping)
    flat = {
        f"{key}.{stat}": tensor.detach().float().cpu().contiguous()
        for key, entry in stats.items()
        for stat, tensor in entry.items()
    }
    pre_state = "policy_preprocessor_step_5_normalizer_processor.safetensors"
    post_state = "policy_postprocessor_step_0_unnormalizer_processor.safetensors"
    preprocessor = {
        "name": "policy_preprocessor",
        "steps": [
            {"registry_name": "rename_observations_processor", "config": {"rename_map": {}}},
            {"registry_name": "to_batch_processor", "config": {}},
            {"registry_name": "smolvla_new_line_processor", "config": {}},
            {
                "registry_name": "tokenizer_processor",
                "config": {
                    "max_length": config.tokenizer_max_length,
                    "task_key": "task",
                    "padding_side": "right",
                    "padding": config.pad_language_to,
                    "truncation": True,
                    "tokenizer_name": config.vlm_model_name,
                },
            },
            {"registry_name": "device_processor", "config": {"device": "cpu", "float_dtype": None}},
            {
                "registry_name": NORMALIZER_STEP,
                "config": {"eps": eps, "features": all_features, "norm_map": norm_map},
                "state_file": pre_state,
            },
        ],
    }
    postprocessor = {
        "name": "policy_postprocessor",
        "steps": [
            {
                "registry_name": UNNORMALIZER_STEP,
                "config": {"eps": eps, "features": features["output_features"], "norm_map": norm_map},
                "state_file": post_state,
            },
            {"registry_name": "device_processor", "config": {"device": "cpu", "float_dtype": None}},
        ],
    }
    save_file(flat, folder / pre_state)
    save_file({k: v for k, v in flat.items() if k.startswith(f"{ACTION_KEY}.")}, folder / post_state)
    (folder / PREPROCESSOR_FILE).write_text(json.dumps(preprocessor, indent=2) + "\n")
    (folder / POSTPROCESSOR_FILE).write_text(json.dumps(postprocessor, indent=2) + "\n")


def write_weights(folder: Path, state: dict[str, Tensor]) -> None:
    save_file({k: v.detach().contiguous() for k, v in state.items()}, folder / MODEL_FILE, metadata={"format": "pt"})
