"""Flow matching as SmolVLA trains and samples it.

Training interpolates ``x_t = t * noise + (1 - t) * actions`` with ``t ~ Beta(1.5, 1) * 0.999 + 0.001``
and regresses the velocity ``noise - actions``. Sampling integrates from t = 1 (noise) to t = 0 with
``num_steps`` Euler steps of size -1/num_steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import torch
from torch import Tensor

if TYPE_CHECKING:
    from ..rtc import RTCGuidance


def sample_time(batch: int, device, generator: torch.Generator | None = None) -> Tensor:
    """t ~ Beta(1.5, 1.0) rescaled into [0.001, 1.0] (skewed towards noisy samples)."""
    # Beta(a, 1) has CDF t**a, so t = u**(1/a) samples it exactly from a uniform u.
    uniform = torch.rand(batch, generator=generator, device=device, dtype=torch.float32)
    return uniform.pow(1.0 / 1.5) * 0.999 + 0.001


def interpolate(actions: Tensor, noise: Tensor, time: Tensor) -> tuple[Tensor, Tensor]:
    """The noisy actions x_t and the target velocity u_t for per-sample times ``time`` (B,)."""
    t = time[:, None, None]
    return t * noise + (1 - t) * actions, noise - actions


def time_embedding(time: Tensor, dimension: int, min_period: float, max_period: float) -> Tensor:
    """Sine-cosine embedding (B, dimension) of scalar times, periods log-spaced in [min, max]."""
    if dimension % 2:
        raise ValueError(f"time embedding dimension {dimension} must be even")
    dtype = torch.float64 if time.device.type not in ("mps",) else torch.float32
    fraction = torch.linspace(0.0, 1.0, dimension // 2, dtype=dtype, device=time.device)
    period = min_period * (max_period / min_period) ** fraction
    angles = (2 * math.pi / period)[None, :] * time[:, None].to(dtype)
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


def euler_integrate(velocity: Callable[[Tensor, Tensor], Tensor], noise: Tensor, num_steps: int,
                    guidance: RTCGuidance | None = None) -> Tensor:
    """x_{t+dt} = x_t + dt * v(x_t, t) from t = 1 down to 0; ``guidance`` (real-time chunking) corrects
    each velocity toward the running chunk's prefix, as LeRobot's loop routes it through its RTCProcessor."""
    dt = -1.0 / num_steps
    x = noise
    batch = noise.shape[0]
    for step in range(num_steps):
        time = 1.0 + step * dt
        times = torch.full((batch,), time, dtype=torch.float32, device=noise.device)
        if guidance is None:
            v = velocity(x, times)
        else:
            v = guidance.velocity(lambda y, t=times: velocity(y, t), x, time)
        x = x + dt * v
    return x
