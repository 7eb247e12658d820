"""Camera images into SmolVLA's vision input, and raw observations into a policy batch.

SmolVLA keeps the aspect ratio: a bilinear resize so the image fits the target, then zero padding
on the left and top (its convention), then [0, 1] -> [-1, 1] for SigLIP.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor

from ..config_json import IMAGE_PREFIX, STATE_KEY
from .configuration import SmolVLA2Config


def resize_with_pad(images: Tensor, width: int, height: int, pad_value: float = 0.0) -> Tensor:
    """(B, C, H, W) -> (B, C, height, width): aspect-preserving bilinear resize, pad left/top."""
    if images.ndim != 4:
        raise ValueError(f"images must be (batch, channels, height, width), got {tuple(images.shape)}")
    cur_height, cur_width = images.shape[2:]
    ratio = max(cur_width / width, cur_height / height)
    new_height, new_width = int(cur_height / ratio), int(cur_width / ratio)
    if (new_height, new_width) != (cur_height, cur_width):
        images = F.interpolate(images, size=(new_height, new_width), mode="bilinear", align_corners=False)
    pad_height, pad_width = max(0, height - new_height), max(0, width - new_width)
    if pad_height or pad_width:
        images = F.pad(images, (pad_width, 0, pad_height, 0), value=pad_value)
    return images


def prepare_images(batch: Mapping[str, Tensor], config: SmolVLA2Config) -> tuple[list[Tensor], list[Tensor]]:
    """The configured cameras as [-1, 1] tensors at the model's size, with per-sample presence masks.

    Missing cameras are replaced by up to ``config.empty_cameras`` all -1 images with mask 0.
    """
    present = [key for key in config.image_features if key in batch]
    missing = [key for key in config.image_features if key not in batch]
    if not present:
        raise ValueError(
            f"none of the policy's cameras {config.image_features} is in the batch (keys: {sorted(batch)})"
        )
    images, masks = [], []
    for key in present:
        image = batch[key]
        if image.ndim == 5:  # (B, T, C, H, W): the latest frame
            image = image[:, -1]
        if image.dtype == torch.uint8:
            raise ValueError(f"{key}: images must be float in [0, 1], got uint8")
        if config.resize_imgs_with_padding is not None:
            image = resize_with_pad(image, *config.resize_imgs_with_padding, pad_value=0.0)
        images.append(image * 2.0 - 1.0)
        mask = batch.get(f"{key}_padding_mask")
        masks.append(
            mask.bool() if mask is not None else torch.ones(image.shape[0], dtype=torch.bool, device=image.device)
        )
    for _ in missing[: config.empty_cameras]:
        images.append(torch.full_like(images[-1], -1.0))
        masks.append(torch.zeros_like(masks[-1]))
    return images, masks


def observation_to_batch(
    images: Mapping[str, np.ndarray],
    state: np.ndarray,
    config: SmolVLA2Config,
    device: torch.device | str = "cpu",
) -> dict[str, Tensor]:
    """HxWx3 uint8 camera frames and a raw state vector -> a batch of one (no language keys yet)."""
    batch: dict[str, Tensor] = {}
    for name, frame in images.items():
        key = name if name.startswith(IMAGE_PREFIX) else IMAGE_PREFIX + name
        if key not in config.image_features:
            raise ValueError(f"camera {key!r} is not one of the policy's cameras {config.image_features}")
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"{key}: expected an HxWx3 uint8 frame, got {frame.shape} {frame.dtype}")
        tensor = torch.from_numpy(np.ascontiguousarray(frame)).to(device)
        batch[key] = tensor.permute(2, 0, 1)[None].to(torch.float32) / 255.0
    state = np.asarray(state, dtype=np.float32).reshape(-1)
    if state.shape[0] != config.state_dim:
        raise ValueError(f"state has {state.shape[0]} values, the policy expects {config.state_dim}")
    batch[STATE_KEY] = torch.from_numpy(state)[None].to(device)
    return batch
