"""AdamW over the trainable parameters and LeRobot's cosine-with-warmup learning-rate schedule.

The schedule multiplies the peak lr by: a linear ramp from 1/(warmup+1) to 1 over the warmup
steps, then a cosine from 1 down to ``decay_lr / lr`` at ``decay_steps``, flat after that (LeRobot's
``CosineDecayWithWarmupSchedulerConfig``). With ``auto_scale_schedule`` a run shorter than
``decay_steps`` shrinks warmup and decay by the same factor, so the schedule ends with the run.
"""

from __future__ import annotations

import math

import torch

from .config import OptimizerConfig


def make_optimizer(model: torch.nn.Module, config: OptimizerConfig) -> torch.optim.AdamW:
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the policy has no trainable parameters (everything is frozen)")
    return torch.optim.AdamW(params, lr=config.lr, betas=config.betas, eps=config.eps,
                             weight_decay=config.weight_decay)


def schedule_steps(config: OptimizerConfig, total_steps: int) -> tuple[int, int]:
    """(warmup, decay) steps actually used for a run of ``total_steps``."""
    if config.auto_scale_schedule and total_steps < config.decay_steps:
        scale = total_steps / config.decay_steps
        return int(config.warmup_steps * scale), total_steps
    return config.warmup_steps, config.decay_steps


def lr_factor(step: int, warmup: int, decay: int, final_ratio: float) -> float:
    """The multiplier of the peak learning rate at ``step`` (0-based)."""
    if step < warmup:
        start = 1.0 / (warmup + 1)
        return start + (1.0 - start) * step / warmup
    cosine = 0.5 * (1.0 + math.cos(math.pi * min(step, decay) / decay))
    return (1.0 - final_ratio) * cosine + final_ratio


def make_scheduler(optimizer: torch.optim.Optimizer, config: OptimizerConfig,
                   total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    warmup, decay = schedule_steps(config, total_steps)
    ratio = config.decay_lr / config.lr
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, warmup, max(decay, 1), ratio))
