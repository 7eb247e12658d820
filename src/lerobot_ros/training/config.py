"""``TrainConfig``: every knob of a training run, typed, with LeRobot's SmolVLA defaults.

``OptimizerConfig``'s defaults are LeRobot's SmolVLA ones (AdamW lr 1e-4, betas (0.9, 0.95),
eps 1e-8, weight decay 1e-10, gradient clip 10; cosine decay with 1000 warmup steps to 2.5e-6 at
30000 steps). As in LeRobot, a run uses the presets of the policy's config unless told otherwise:
SmolVLA2 trains its language head too and carries lr 2.5e-5 (``SmolVLA2Config.optimizer_lr``).

The config is saved as ``train_config.json`` in the output folder; ``--resume`` reads it back.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_FILE = "train_config.json"


@dataclass
class OptimizerConfig:
    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.95)
    eps: float = 1e-8
    weight_decay: float = 1e-10
    grad_clip_norm: float = 10.0
    warmup_steps: int = 1000
    decay_steps: int = 30000
    decay_lr: float = 2.5e-6
    # LeRobot shortens warmup and decay proportionally when the run is shorter than decay_steps.
    auto_scale_schedule: bool = True

    @classmethod
    def from_policy(cls, policy_config) -> OptimizerConfig:
        """The training presets a policy config carries (SmolVLA2: lr 2.5e-5)."""
        return cls(
            lr=policy_config.optimizer_lr, betas=tuple(policy_config.optimizer_betas),
            eps=policy_config.optimizer_eps, weight_decay=policy_config.optimizer_weight_decay,
            grad_clip_norm=policy_config.optimizer_grad_clip_norm,
            warmup_steps=policy_config.scheduler_warmup_steps, decay_steps=policy_config.scheduler_decay_steps,
            decay_lr=policy_config.scheduler_decay_lr,
        )

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)
        if self.lr <= 0 or self.decay_lr < 0 or self.decay_lr > self.lr:
            raise ValueError(f"learning rates: need lr > 0 and 0 <= decay_lr <= lr, got lr={self.lr} "
                             f"decay_lr={self.decay_lr}")
        if self.warmup_steps < 0 or self.decay_steps <= 0:
            raise ValueError(f"schedule: warmup_steps must be >= 0 and decay_steps > 0, got "
                             f"{self.warmup_steps} and {self.decay_steps}")


@dataclass
class TrainConfig:
    dataset: str  # a LeRobotDataset v3.0 folder, or a Hub dataset repo id (pulled once)
    output_dir: str
    policy_type: str = "smolvla2"  # the model: smolvla2, or pi052 (pi0.5 with a language head)
    policy_path: str | None = None  # a checkpoint folder or Hub id to fine-tune from
    vlm: str | None = None  # a SmolVLM (PaliGemma for pi052) folder or Hub id: a fresh policy
    policy_overrides: dict = field(default_factory=dict)  # SmolVLA2Config fields for a fresh policy
    rename_map: dict = field(default_factory=dict)  # dataset camera key -> the policy's camera key
    recipe: str | None = None  # recipe YAML; None: the installed config/recipes/<policy_type>_hirobot.yaml
    steps: int = 20000
    batch_size: int = 8  # per process (per GPU)
    grad_accum_steps: int = 1  # micro-batches per optimizer step in each process
    # None: the policy's presets (SmolVLA2Config.optimizer_* / scheduler_*, as LeRobot's
    # use_policy_training_preset); set to override them.
    optimizer: OptimizerConfig | None = None
    optimizer_overrides: dict = field(default_factory=dict)  # OptimizerConfig fields set on top
    device: str = "auto"  # auto: cuda when available, else cpu; under torchrun cuda:<LOCAL_RANK>
    bf16: bool = True  # bf16 autocast on CUDA (ignored on CPU)
    seed: int = 1000
    val_fraction: float = 0.1  # episodes held out for the validation loss
    val_every: int = 500
    val_batches: int = 8
    log_every: int = 10
    save_every: int = 5000
    num_workers: int = 2
    # DistributedDataParallel's gradient bucket size: larger buckets mean fewer all-reduce calls,
    # smaller ones start the first all-reduce earlier in the backward pass.
    ddp_bucket_mb: int = 25
    frame_cache_mb: int = 2048  # decoded frames kept per loader worker (whole episodes, LRU)
    resume: bool = False
    progress: bool = True
    max_render_attempts: int = 64  # samples tried in turn when a recipe renders no supervision
    # The least standard deviation observation.state is normalized with, in the dataset's units
    # (radians for our recordings): a joint that never moved in the data would otherwise be
    # divided by ~1e-8 and its measurement noise blow up the policy's input (training/policy_setup.py).
    min_state_std: float = 0.01

    def __post_init__(self) -> None:
        if isinstance(self.optimizer, dict):
            self.optimizer = OptimizerConfig(**self.optimizer)
        for name in ("steps", "batch_size", "grad_accum_steps", "val_every", "log_every", "save_every",
                     "val_batches", "max_render_attempts"):
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.policy_type not in ("smolvla2", "pi052"):
            raise ValueError(f"TrainConfig.policy_type must be smolvla2 or pi052, got {self.policy_type!r}")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"TrainConfig.val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.min_state_std < 0:
            raise ValueError(f"TrainConfig.min_state_std must be >= 0, got {self.min_state_std}")
        if self.ddp_bucket_mb < 1:
            raise ValueError(f"TrainConfig.ddp_bucket_mb must be >= 1, got {self.ddp_bucket_mb}")
        if self.num_workers < 0:
            raise ValueError(f"TrainConfig.num_workers must be >= 0, got {self.num_workers}")

    def optimizer_for(self, policy_config) -> OptimizerConfig:
        """The optimizer settings of this run for a policy with ``policy_config``."""
        base = self.optimizer or OptimizerConfig.from_policy(policy_config)
        return dataclasses.replace(base, **self.optimizer_overrides)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    def save(self, folder: Path) -> None:
        (folder / CONFIG_FILE).write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> TrainConfig:
        path = Path(folder) / CONFIG_FILE
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: --resume needs the output folder of an earlier run")
        return cls(**json.loads(path.read_text(encoding="utf-8")))
