"""State/action normalization as LeRobot's normalizer steps apply it: QUANTILES (pi0.5's default),
MEAN_STD or IDENTITY per feature kind.

QUANTILES maps [q01, q99] onto [-1, 1] (``2 (x - q01) / (q99 - q01) - 1``, eps where q99 == q01);
MEAN_STD is ``(x - mean) / (std + eps)``. The statistics are non-persistent buffers, so
``model.safetensors`` keeps exactly LeRobot's keys and the statistics travel in the processor files.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import Tensor, nn

from ..config_json import ACTION_KEY, STATE_KEY

DEFAULT_EPS = 1e-8
FEATURE_KINDS = {STATE_KEY: "STATE", ACTION_KEY: "ACTION"}
STAT_NAMES = ("mean", "std", "min", "max", "q01", "q10", "q50", "q90", "q99")
NEEDED = {"QUANTILES": ("q01", "q99"), "MEAN_STD": ("mean", "std"), "IDENTITY": ()}

Stats = dict[str, dict[str, Tensor]]


def as_stats(stats: Mapping[str, Mapping[str, object]] | None) -> Stats:
    """meta/stats.json-style statistics (lists, arrays or tensors) of state and action -> float32 tensors."""
    out: Stats = {}
    for key in FEATURE_KINDS:
        if stats is None or key not in stats:
            continue
        out[key] = {
            name: torch.as_tensor(np.asarray(value, dtype=np.float32)).reshape(-1)
            for name, value in stats[key].items()
            if name in STAT_NAMES
        }
    return out


class Normalizer(nn.Module):
    def __init__(self, stats: Stats, mapping: Mapping[str, str], eps: float = DEFAULT_EPS):
        super().__init__()
        self.mapping = dict(mapping)
        self.eps = eps
        self._names: dict[str, list[str]] = {}
        self.set_stats(stats)

    def set_stats(self, stats: Stats) -> None:
        device = next((b.device for b in self.buffers()), None)
        for key, entry in stats.items():
            self._names[key] = sorted(entry)
            for name, tensor in entry.items():
                tensor = tensor.detach().clone().float()
                self.register_buffer(self._buffer(key, name), tensor.to(device) if device else tensor, persistent=False)

    @staticmethod
    def _buffer(key: str, name: str) -> str:
        return f"{key.replace('.', '_')}__{name}"

    def _apply(self, fn, recurse=True):
        """Move with the policy but keep the statistics in float32 under .to(bfloat16)."""
        super()._apply(fn, recurse)
        for name, buffer in self._buffers.items():
            if buffer is not None and buffer.dtype != torch.float32:
                self._buffers[name] = buffer.float()
        return self

    def stats(self) -> Stats:
        return {key: {name: getattr(self, self._buffer(key, name)) for name in names}
                for key, names in self._names.items()}

    def _mode(self, key: str) -> tuple[str, list[Tensor]]:
        mode = self.mapping.get(FEATURE_KINDS[key], "IDENTITY")
        needed = NEEDED[mode]
        missing = [name for name in needed if name not in self._names.get(key, ())]
        if missing:
            raise ValueError(
                f"{mode} normalization of {key} needs the statistics {missing}: pass dataset_stats with them or "
                "load a checkpoint whose processor files have them"
            )
        return mode, [getattr(self, self._buffer(key, name)) for name in needed]

    def _denominator(self, low: Tensor, high: Tensor) -> Tensor:
        span = high - low
        return torch.where(span == 0, torch.full_like(span, self.eps), span)

    def normalize(self, key: str, value: Tensor) -> Tensor:
        mode, stats = self._mode(key)
        if mode == "QUANTILES":
            return 2.0 * (value.float() - stats[0]) / self._denominator(*stats) - 1.0
        if mode == "MEAN_STD":
            return (value.float() - stats[0]) / (stats[1] + self.eps)
        return value

    def unnormalize(self, key: str, value: Tensor) -> Tensor:
        mode, stats = self._mode(key)
        if mode == "QUANTILES":
            return (value.float() + 1.0) * self._denominator(*stats) / 2.0 + stats[0]
        if mode == "MEAN_STD":
            return value.float() * stats[1] + stats[0]
        return value
