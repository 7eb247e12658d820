"""Real-time chunking (RTC): flow sampling guided toward the frozen prefix of the running chunk.

While a new chunk is computed the robot keeps executing the old one, so the new chunk's first
``inference_delay`` steps are already committed: they will be the old chunk's actions whatever the
model says. RTC (Black et al., "Real-Time Execution of Action Chunking Flow Policies"; LeRobot 0.6.1's
``policies/rtc``) treats the new chunk as inpainting: at every Euler step the velocity is corrected so
that the predicted clean chunk ``x1 = x_t - t * v`` (LeRobot's time runs from 1 = noise to 0 = actions)
moves toward the old chunk's left-over actions, fully over the delay, then with weights falling to zero
at ``execution_horizon``:

    v <- v - min(c(t), max_guidance_weight) * W * (prefix - x1),   c = (1-tau)/tau * ((1-tau)^2 + tau^2)/(1-tau)^2

with ``tau = 1 - t``. This module reproduces LeRobot 0.6.1's ``RTCProcessor.denoise_step`` number for
number (tests/policies/test_rtc.py runs both on the same velocity field). Note what that code computes:
its vector-Jacobian product is taken after the velocity was evaluated without gradient tracking, so the
correction is the weighted error itself (no backward pass through the model). That is what we do too,
which also means the guided sampler needs no autograd and runs under ``torch.inference_mode``.

The prefix and the chunk are in the policy's normalized, padded action space; a prefix shorter than the
chunk (or narrower than ``max_action_dim``) is zero-padded as LeRobot pads it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import torch
from torch import Tensor


class PrefixSchedule(str, Enum):
    """How the guidance weights fall from the delay to the execution horizon (LeRobot's RTCAttentionSchedule)."""

    ZEROS = "ZEROS"  # 1 over the delay, 0 after
    ONES = "ONES"  # 1 up to the execution horizon
    LINEAR = "LINEAR"  # 1 over the delay, then linearly down to 0 at the horizon
    EXP = "EXP"  # as LINEAR, bent by expm1


@dataclass(frozen=True)
class RTCConfig:
    """LeRobot's RTCConfig defaults: guide up to 10 steps of the old chunk, weight at most 10."""

    execution_horizon: int = 10
    max_guidance_weight: float = 10.0
    prefix_schedule: PrefixSchedule = PrefixSchedule.LINEAR

    def __post_init__(self) -> None:
        if self.execution_horizon < 1:
            raise ValueError(f"RTC execution_horizon must be at least 1 step, got {self.execution_horizon}")
        if not self.max_guidance_weight > 0.0:
            raise ValueError(f"RTC max_guidance_weight must be positive, got {self.max_guidance_weight}")
        object.__setattr__(self, "prefix_schedule", PrefixSchedule(self.prefix_schedule))


@dataclass(frozen=True)
class ChunkPrefix:
    """The running chunk's actions not yet executed, aligned with the new chunk's steps (step 0 = the
    action for the observation the new chunk is computed from), normalized: (steps, dim) or (B, steps, dim);
    ``inference_delay``: how many of its first steps will have been executed when the new chunk arrives."""

    actions: Tensor
    inference_delay: int

    def __post_init__(self) -> None:
        if self.actions.ndim not in (2, 3) or self.actions.shape[-2] == 0:
            raise ValueError(f"an RTC prefix is (steps, dim) or (batch, steps, dim) with steps > 0, got shape "
                             f"{tuple(self.actions.shape)}")
        if self.inference_delay < 0:
            raise ValueError(f"the RTC inference delay must be >= 0 steps, got {self.inference_delay}")


def prefix_weights(delay: int, horizon: int, total: int, schedule: PrefixSchedule) -> Tensor:
    """(total,) weights: 1 for the first ``delay`` steps, then ``schedule`` down to 0 at ``horizon``."""
    start = min(delay, horizon)
    if schedule is PrefixSchedule.ZEROS:
        weights = torch.zeros(total)
        weights[:start] = 1.0
        return weights
    if schedule is PrefixSchedule.ONES:
        weights = torch.ones(total)
        weights[horizon:] = 0.0
        return weights
    ramp_steps = total - max(total - horizon, 0) - start
    ramp = torch.linspace(1, 0, ramp_steps + 2)[1:-1] if horizon > start and ramp_steps > 0 else torch.tensor([])
    if schedule is PrefixSchedule.EXP:
        ramp = ramp * torch.expm1(ramp).div(math.e - 1)
    parts = [torch.ones(min(start, total))] if min(start, total) > 0 else []
    parts.append(ramp)
    if total - horizon > 0:
        parts.append(torch.zeros(total - horizon))
    return torch.cat(parts)


def guidance_weight(time: float, max_weight: float) -> Tensor:
    """The guidance scale at flow time ``time`` (1 = noise), clipped to ``max_weight``."""
    tau = torch.as_tensor(1 - time)
    cap = torch.as_tensor(max_weight)
    one_minus_tau_sq = (1 - tau) ** 2
    inv_r2 = (one_minus_tau_sq + tau**2) / one_minus_tau_sq
    c = torch.nan_to_num((1 - tau) / tau, posinf=max_weight)
    return torch.minimum(torch.nan_to_num(c * inv_r2, posinf=max_weight), cap)


class RTCGuidance:
    """Guides every velocity of one chunk's sampling toward ``prefix``."""

    def __init__(self, prefix: ChunkPrefix, config: RTCConfig = RTCConfig()):
        self.prefix = prefix
        self.config = config

    def velocity(self, velocity: Callable[[Tensor], Tensor], x: Tensor, time: float) -> Tensor:
        """The guided velocity at ``x`` (B, steps, dim) and flow time ``time``; ``velocity(x)`` is the model's."""
        v = velocity(x)
        batch, steps, dim = x.shape
        prefix = self.prefix.actions.to(x.device, x.dtype)
        if prefix.ndim == 2:
            prefix = prefix.unsqueeze(0)
        if prefix.shape[-1] > dim or prefix.shape[-2] > steps:
            raise ValueError(f"the RTC prefix {tuple(prefix.shape[-2:])} is larger than the chunk ({steps}, {dim})")
        horizon = min(self.config.execution_horizon, prefix.shape[1])
        target = torch.zeros(batch, steps, dim, dtype=x.dtype, device=x.device)
        target[:, : prefix.shape[1], : prefix.shape[2]] = prefix
        weights = prefix_weights(self.prefix.inference_delay, horizon, steps, self.config.prefix_schedule)
        clean = x - time * v  # the clean chunk this velocity points at
        correction = (target - clean) * weights.to(x.device)[None, :, None]
        return v - guidance_weight(time, self.config.max_guidance_weight).to(x.device) * correction
