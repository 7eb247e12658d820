"""MEAN_STD normalization of state and actions with the dataset's statistics, as LeRobot applies it.

LeRobot >= 0.4 keeps the statistics outside the model, in the pre/post-processor pipelines
(``(x - mean) / (std + eps)`` in, ``x * std + mean`` out, eps = 1e-8). Here they live in the policy
as non-persistent buffers, so ``model.safetensors`` keeps exactly LeRobot's keys and the statistics
travel in the processor files (see checkpoint.py).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import Tensor, nn

from ..config_json import ACTION_KEY, STATE_KEY

DEFAULT_EPS = 1e-8
FEATURE_KINDS = {STATE_KEY: "STATE", ACTION_KEY: "ACTION"}

Stats = dict[str, dict[str, Tensor]]


def as_stats(stats: Mapping[str, Mapping[str, object]] | None) -> Stats:
    """Dataset statistics (meta/stats.json style: lists, arrays or tensors) -> float32 mean/std tensors.

    Only the state and action entries matter; image statistics are ignored (VISUAL is IDENTITY).
    """
    out: Stats = {}
    for key in FEATURE_KINDS:
        if stats is None or key not in stats:
            continue
        entry = stats[key]
        if "mean" not in entry or "std" not in entry:
            raise ValueError(f"normalization stats for {key} need 'mean' and 'std', got {sorted(entry)}")
        out[key] = {
            name: torch.as_tensor(np.asarray(entry[name], dtype=np.float32)).reshape(-1) for name in ("mean", "std")
        }
    return out


class Normalizer(nn.Module):
    """Normalizes ``observation.state`` / ``action`` and unnormalizes predicted actions."""

    def __init__(self, stats: Stats, mapping: Mapping[str, str], eps: float = DEFAULT_EPS):
        super().__init__()
        self.mapping = dict(mapping)
        self.eps = eps
        self.keys: list[str] = []
        for key, entry in stats.items():
            self._register(key, entry)

    def _register(self, key: str, entry: Mapping[str, Tensor]) -> None:
        name = key.replace(".", "_")
        self.register_buffer(f"{name}_mean", entry["mean"].clone().float(), persistent=False)
        self.register_buffer(f"{name}_std", entry["std"].clone().float(), persistent=False)
        if key not in self.keys:
            self.keys.append(key)

    def set_stats(self, stats: Stats) -> None:
        device = next((b.device for b in self.buffers()), None)
        for key, entry in stats.items():
            self._register(key, {name: t.to(device) if device else t for name, t in entry.items()})

    def _apply(self, fn, recurse=True):
        """Move with the policy (device) but keep the statistics in float32 under .to(bfloat16)."""
        super()._apply(fn, recurse)
        for name, buffer in self._buffers.items():
            if buffer is not None and buffer.dtype != torch.float32:
                self._buffers[name] = buffer.float()
        return self

    def stats(self) -> Stats:
        return {key: {"mean": self._stat(key, "mean"), "std": self._stat(key, "std")} for key in self.keys}

    def _stat(self, key: str, name: str) -> Tensor:
        return getattr(self, f"{key.replace('.', '_')}_{name}")

    def _uses_mean_std(self, key: str) -> bool:
        mode = self.mapping.get(FEATURE_KINDS[key], "IDENTITY")
        if mode == "IDENTITY":
            return False
        if key not in self.keys:
            raise ValueError(
                f"no normalization statistics for {key}: pass dataset_stats to the policy or load a checkpoint "
                "that has them (policy_preprocessor / policy_postprocessor files)"
            )
        return True

    def normalize(self, key: str, value: Tensor) -> Tensor:
        if not self._uses_mean_std(key):
            return value
        mean, std = self._stat(key, "mean"), self._stat(key, "std")
        return (value.float() - mean) / (std + self.eps)

    def unnormalize(self, key: str, value: Tensor) -> Tensor:
        if not self._uses_mean_std(key):
            return value
        mean, std = self._stat(key, "mean"), self._stat(key, "std")
        return value.float() * std + mean
