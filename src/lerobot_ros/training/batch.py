"""Samples -> the policy's batch dict (the keys of the policy contract), and onto the device.

Images travel from the loader workers as uint8 (H, W, 3), a quarter of the bytes of float; they
become float (B, 3, H, W) in [0, 1] only on the device, in :func:`to_device`.
"""

from __future__ import annotations

import torch

from ..policies.config_json import IMAGE_PREFIX
from ..policies.language_head import FAST_KEY


class Collate:
    """The DataLoader's ``collate_fn``; picklable, so loader workers can run it."""

    def __init__(self, chat_tokenizer, image_keys: tuple[str, ...]):
        self.chat = chat_tokenizer
        self.image_keys = image_keys

    def __call__(self, samples: list[dict]) -> dict:
        batch = dict(self.chat.collate([s["chat"] for s in samples]))
        for key in ("observation.state", "action", "action_is_pad", *self.image_keys):
            batch[key] = torch.stack([s[key] for s in samples])
        if FAST_KEY in samples[0]:
            from ..policies.fast import collate_fast_tokens

            batch[FAST_KEY] = collate_fast_tokens([s[FAST_KEY] for s in samples])
        return batch


def to_device(batch: dict, device: torch.device) -> dict:
    out = {}
    for key, value in batch.items():
        if not isinstance(value, torch.Tensor):
            out[key] = value
            continue
        value = value.to(device, non_blocking=True)
        if key.startswith(IMAGE_PREFIX) and value.dtype == torch.uint8:
            value = value.permute(0, 3, 1, 2).float().div_(255.0)
        out[key] = value
    return out
