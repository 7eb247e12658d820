"""Flow matching as pi0.5 trains and samples it (LeRobot's PI05Pytorch, openpi's PI0Pytorch).

Training interpolates ``x_t = t * noise + (1 - t) * actions`` at ``t = Beta(alpha, beta) * scale +
offset`` (1.5, 1.0, 0.999, 0.001 by default) and regresses the velocity ``noise - actions``;
sampling integrates from t = 1 to t = 0 in ``num_inference_steps`` Euler steps. The interpolation,
the sine-cosine time embedding and the Euler loop are SmolVLA's too (shared from smolvla2.flow).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .configuration import PI052Config
from ..smolvla2.flow import euler_integrate, interpolate, time_embedding

__all__ = ["euler_integrate", "interpolate", "sample_time", "time_embedding"]


def sample_time(batch: int, config: PI052Config, device) -> Tensor:
    """Per-sample flow times from the configured scaled Beta distribution (sampled on the CPU, as
    LeRobot does: Beta sampling has no kernel on some devices)."""
    beta = torch.distributions.Beta(
        torch.tensor(config.time_sampling_beta_alpha, dtype=torch.float32),
        torch.tensor(config.time_sampling_beta_beta, dtype=torch.float32),
    )
    time = beta.sample((batch,)) * config.time_sampling_scale + config.time_sampling_offset
    return time.to(device=device, dtype=torch.float32)
