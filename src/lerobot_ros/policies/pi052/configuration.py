"""PI052Config: LeRobot's PI05Config plus the language head, in LeRobot's config.json layout.

The field names and defaults are LeRobot 0.6.1's ``PI05Config``, so a LeRobot ``pi05`` config.json
loads here and a "pi05" one saved here loads in LeRobot. Type "pi052" adds the language head's
fields (recipe, loss weights, fps); LeRobot 0.6.1 has no such type. Features are plain fields here
(``image_features``, ``state_dim``, ``action_dim``) converted at the JSON boundary; LeRobot keys the
model does not use (``device``, ``push_to_hub``, ...) are carried through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..config_json import IMAGE_PREFIX, LeRobotConfigJson

POLICY_TYPES = ("pi05", "pi052")
NORMALIZATION_MODES = ("IDENTITY", "MEAN_STD", "QUANTILES")

# Fields only a "pi052" config.json carries (LeRobot's PI05Config would refuse them).
PI052_ONLY_FIELDS = ("recipe_path", "text_loss_weight", "flow_loss_weight", "fps", "vlm_model_name",
                     "enable_fast_action_loss", "fast_loss_weight", "fast_vocab_size", "fast_skip_tokens")

# openpi's Gemma variants (LeRobot's get_gemma_config): width, depth, mlp, heads, kv heads, head dim.
GEMMA_VARIANTS = {
    "gemma_300m": dict(width=1024, depth=18, mlp_dim=4096, num_heads=8, num_kv_heads=1, head_dim=256),
    "gemma_2b": dict(width=2048, depth=18, mlp_dim=16_384, num_heads=8, num_kv_heads=1, head_dim=256),
}


def _default_normalization() -> dict[str, str]:
    return {"VISUAL": "IDENTITY", "STATE": "QUANTILES", "ACTION": "QUANTILES"}


@dataclass
class PI052Config(LeRobotConfigJson):
    """Everything that shapes the pi0.5 model, its prompt and its training presets."""

    POLICY_TYPES: ClassVar[tuple[str, ...]] = POLICY_TYPES
    EXTENDED_ONLY_FIELDS: ClassVar[tuple[str, ...]] = PI052_ONLY_FIELDS
    STATE_FIRST: ClassVar[bool] = False

    type: str = "pi052"
    image_features: list[str] = field(default_factory=list)
    state_dim: int = 0
    action_dim: int = 0
    image_shapes: dict[str, list[int]] = field(default_factory=dict)  # (3, H, W) as recorded

    paligemma_variant: str = "gemma_2b"
    action_expert_variant: str = "gemma_300m"
    dtype: str = "float32"
    n_obs_steps: int = 1
    chunk_size: int = 50
    n_action_steps: int = 50
    max_state_dim: int = 32
    max_action_dim: int = 32
    num_inference_steps: int = 10
    time_sampling_beta_alpha: float = 1.5
    time_sampling_beta_beta: float = 1.0
    time_sampling_scale: float = 0.999
    time_sampling_offset: float = 0.001
    min_period: float = 4e-3
    max_period: float = 4.0
    use_relative_actions: bool = False
    relative_exclude_joints: list[str] = field(default_factory=lambda: ["gripper"])
    action_feature_names: list[str] | None = None
    rtc_config: dict | None = None
    image_resolution: tuple[int, int] = (224, 224)
    empty_cameras: int = 0
    tokenizer_max_length: int = 200
    normalization_mapping: dict[str, str] = field(default_factory=_default_normalization)
    gradient_checkpointing: bool = False
    compile_model: bool = False
    compile_mode: str = "max-autotune"
    freeze_vision_encoder: bool = False
    train_expert_only: bool = False
    optimizer_lr: float = 2.5e-5
    optimizer_betas: tuple[float, float] = (0.9, 0.95)
    optimizer_eps: float = 1e-8
    optimizer_weight_decay: float = 0.01
    optimizer_grad_clip_norm: float = 1.0
    scheduler_warmup_steps: int = 1_000
    scheduler_decay_steps: int = 30_000
    scheduler_decay_lr: float = 2.5e-6

    # PI052: the language head. The chat prompt replaces pi0.5's "Task: ..." prompt; the
    # discretized state follows it (see prompt.py).
    recipe_path: str = "recipes/pi052_hirobot.yaml"
    text_loss_weight: float = 1.0
    flow_loss_weight: float = 1.0
    fps: float | None = None
    # FAST action tokens after the state text, predicted by the LM head (pi0-FAST's vocabulary tail:
    # FAST id f is row vocab_size - 1 - fast_skip_tokens - f); the action expert never sees them.
    enable_fast_action_loss: bool = False
    fast_loss_weight: float = 1.0
    fast_vocab_size: int = 1024
    fast_skip_tokens: int = 128
    # Folder (or Hub id) of the PaliGemma config + tokenizer; a saved checkpoint keeps them in vlm/.
    vlm_model_name: str = "google/paligemma-3b-pt-224"

    lerobot_extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in POLICY_TYPES:
            raise ValueError(f"policy type {self.type!r} is not one of {POLICY_TYPES}")
        self.image_features = [k if k.startswith(IMAGE_PREFIX) else IMAGE_PREFIX + k for k in self.image_features]
        self.image_resolution = tuple(self.image_resolution)
        self.optimizer_betas = tuple(self.optimizer_betas)
        self.image_shapes = {
            key: list(self.image_shapes.get(key, (3, *self.image_resolution))) for key in self.image_features
        }
        if self.n_action_steps > self.chunk_size:
            raise ValueError(f"n_action_steps ({self.n_action_steps}) cannot exceed chunk_size ({self.chunk_size})")
        for name in ("paligemma_variant", "action_expert_variant"):
            if getattr(self, name) not in GEMMA_VARIANTS:
                raise ValueError(f"{name} {getattr(self, name)!r} is not one of {sorted(GEMMA_VARIANTS)}")
        if self.dtype not in ("float32", "bfloat16"):
            raise ValueError(f"dtype {self.dtype!r} is not float32 or bfloat16")
        if self.image_resolution[0] != self.image_resolution[1]:
            raise ValueError(f"PaliGemma needs square images, image_resolution is {self.image_resolution}")
        if self.state_dim > self.max_state_dim:
            raise ValueError(f"state_dim {self.state_dim} exceeds max_state_dim {self.max_state_dim}")
        if self.action_dim > self.max_action_dim:
            raise ValueError(f"action_dim {self.action_dim} exceeds max_action_dim {self.max_action_dim}")
        if self.use_relative_actions:
            raise ValueError("use_relative_actions is not supported: train with absolute actions")
        for kind, mode in self.normalization_mapping.items():
            if mode not in NORMALIZATION_MODES:
                raise ValueError(f"normalization {mode!r} for {kind} is not one of {NORMALIZATION_MODES}")

    @property
    def chat_prompt(self) -> bool:
        """PI052 reads chat prompts (plus the state); pi0.5 reads "Task: ..., State: ...;\\nAction: "."""
        return self.type == "pi052"

    @property
    def trains_text(self) -> bool:
        return self.type == "pi052" and self.text_loss_weight > 0
