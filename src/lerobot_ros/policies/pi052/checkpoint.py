"""LeRobot's pi05 checkpoint folder: weights (safetensors only, strict keys) and the processor files.

A LeRobot 0.6.1 ``pi05`` folder holds ``config.json``, ``model.safetensors`` and the processor
pipelines ``policy_preprocessor.json`` / ``policy_postprocessor.json`` (the normalizer steps keep
every dataset statistic in safetensors files next to them). We read and write exactly that, plus
(ours, ignored by LeRobot) a ``vlm/`` folder with the PaliGemma and expert configs and the
tokenizer, so a saved folder loads without the Hub. Finding folders, refusing pickles and the
strict key check are shared with SmolVLA2 (smolvla2.checkpoint).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from safetensors.torch import load_file, save_file
from torch import Tensor

from .configuration import PI052Config
from .normalization import DEFAULT_EPS, Stats, as_stats
from ..smolvla2.checkpoint import (
    MODEL_FILE,
    POSTPROCESSOR_FILE,
    PREPROCESSOR_FILE,
    VLM_FOLDER,
    WRAPPER_PREFIXES,
    load_strict,
    read_weights,
    resolve_folder,
)

__all__ = ["MODEL_FILE", "POSTPROCESSOR_FILE", "PREPROCESSOR_FILE", "VLM_FOLDER", "load_strict", "map_keys",
           "read_stats", "read_weights", "resolve_folder", "write_processors", "write_weights"]

NORMALIZER_STEP = "normalizer_processor"
UNNORMALIZER_STEP = "unnormalizer_processor"
LM_HEAD = "model.paligemma_with_expert.paligemma.lm_head.weight"
EMBED_TOKENS = "model.paligemma_with_expert.paligemma.model.language_model.embed_tokens.weight"
# openpi-era expert norms without AdaRMS: LeRobot skips them for pi0.5, so do we.
PLAIN_EXPERT_NORM = re.compile(
    r"model\.paligemma_with_expert\.gemma_expert\.model\.(layers\.\d+\.(input|post_attention)_layernorm|norm)\.weight"
)
# SigLIP's keys in LeRobot's pi05 checkpoints (openpi's converter, transformers < 5.6 as LeRobot 0.6.1
# pins) sit under ``vision_tower.vision_model.``; transformers 5.6 flattened SiglipVisionModel, so a
# PI05Policy built under it has ``vision_tower.embeddings.`` etc. Both mean the one on-disk layout.
VISION_TOWER = "model.paligemma_with_expert.paligemma.model.vision_tower."
SIGLIP_MODEL = "vision_model."


def map_keys(weights: dict[str, Tensor]) -> dict[str, Tensor]:
    """Checkpoint keys -> ours, as LeRobot's PI05Policy.from_pretrained fixes them: wrapper prefixes
    off, ``model.`` on, ``action_time_mlp_*`` -> ``time_mlp_*``, pi0's ``state_proj`` and plain expert
    norms dropped, and the token embedding taken from the LM head (PaliGemma ties them). SigLIP keys
    get the checkpoint's ``vision_tower.vision_model.`` spelling whichever transformers made them."""
    mapped: dict[str, Tensor] = {}
    for key, tensor in weights.items():
        for prefix in WRAPPER_PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix) :]
        if not key.startswith("model."):
            key = f"model.{key}"
        key = key.replace("model.action_time_mlp_", "model.time_mlp_")
        if key.startswith(VISION_TOWER) and not key.startswith(VISION_TOWER + SIGLIP_MODEL):
            key = VISION_TOWER + SIGLIP_MODEL + key[len(VISION_TOWER) :]
        if key.startswith("model.state_proj.") or PLAIN_EXPERT_NORM.fullmatch(key):
            continue
        mapped[key] = tensor
    if LM_HEAD in mapped:
        mapped[EMBED_TOKENS] = mapped[LM_HEAD]
    return mapped


def _normalizer_state(folder: Path, pipeline_file: str, step_name: str) -> tuple[dict[str, Tensor], float]:
    path = folder / pipeline_file
    if not path.is_file():
        return {}, DEFAULT_EPS
    for step in json.loads(path.read_text()).get("steps", []):
        if step.get("registry_name") == step_name and "state_file" in step:
            return load_file(folder / step["state_file"]), float(step.get("config", {}).get("eps", DEFAULT_EPS))
    return {}, DEFAULT_EPS


def read_stats(folder: Path) -> tuple[Stats, float]:
    """Every statistic of state and action from the processor files (the postprocessor's action wins)."""
    flat, eps = _normalizer_state(folder, PREPROCESSOR_FILE, NORMALIZER_STEP)
    post, _ = _normalizer_state(folder, POSTPROCESSOR_FILE, UNNORMALIZER_STEP)
    flat.update(post)
    nested: dict[str, dict[str, Tensor]] = {}
    for flat_key, tensor in flat.items():
        feature, stat = flat_key.rsplit(".", 1)
        nested.setdefault(feature, {})[stat] = tensor
    return as_stats(nested), eps


def tokenizer_name(folder: Path) -> str | None:
    """The tokenizer the preprocessor names (LeRobot: ``google/paligemma-3b-pt-224``)."""
    path = folder / PREPROCESSOR_FILE
    if not path.is_file():
        return None
    for step in json.loads(path.read_text()).get("steps", []):
        if step.get("registry_name") == "tokenizer_processor":
            return step.get("config", {}).get("tokenizer_name")
    return None


def write_processors(folder: Path, config: PI052Config, stats: Stats, eps: float, tokenizer: str) -> None:
    """LeRobot 0.6.1's two pi0.5 pipelines, with our statistics in their normalizer steps."""
    features = config.to_json_dict()
    all_features = {**features["input_features"], **features["output_features"]}
    norm_map = dict(config.normalization_mapping)
    flat = {f"{key}.{stat}": t.detach().float().cpu().contiguous() for key, entry in stats.items()
            for stat, t in entry.items()}
    pre_state = "policy_preprocessor_step_3_normalizer_processor.safetensors"
    post_state = "policy_postprocessor_step_0_unnormalizer_processor.safetensors"
    device = {"registry_name": "device_processor", "config": {"device": "cpu", "float_dtype": None}}
    preprocessor = {"name": "policy_preprocessor", "steps": [
        {"registry_name": "rename_observations_processor", "config": {"rename_map": {}}},
        {"registry_name": "to_batch_processor", "config": {}},
        {"registry_name": "relative_actions_processor",
         "config": {"enabled": False, "exclude_joints": list(config.relative_exclude_joints),
                    "action_names": config.action_feature_names}},
        {"registry_name": NORMALIZER_STEP, "config": {"eps": eps, "features": all_features, "norm_map": norm_map},
         "state_file": pre_state},
        {"registry_name": "pi05_prepare_state_tokenizer_processor_step", "config": {}},
        {"registry_name": "tokenizer_processor",
         "config": {"max_length": config.tokenizer_max_length, "task_key": "task", "padding_side": "right",
                    "padding": "max_length", "truncation": True, "tokenizer_name": tokenizer}},
        device,
    ]}
    postprocessor = {"name": "policy_postprocessor", "steps": [
        {"registry_name": UNNORMALIZER_STEP,
         "config": {"eps": eps, "features": features["output_features"], "norm_map": norm_map},
         "state_file": post_state},
        {"registry_name": "absolute_actions_processor", "config": {"enabled": False}},
        device,
    ]}
    save_file(flat, folder / pre_state)
    save_file(flat, folder / post_state)
    (folder / PREPROCESSOR_FILE).write_text(json.dumps(preprocessor, indent=2) + "\n")
    (folder / POSTPROCESSOR_FILE).write_text(json.dumps(postprocessor, indent=2) + "\n")


def write_weights(folder: Path, state: dict[str, Tensor]) -> None:
    """model.safetensors; tied tensors (LM head, token embedding) are written as separate copies."""
    save_file({k: v.detach().clone().contiguous() for k, v in state.items()}, folder / MODEL_FILE,
              metadata={"format": "pt"})
