"""SmolVLA2Config: SmolVLA's configuration plus the language head, in LeRobot's config.json layout.

The field names and defaults are LeRobot's ``SmolVLAConfig`` (v0.4.4) and ``SmolVLA2Config``
(commit e84f97a8c), so a LeRobot ``config.json`` loads here and ours loads there. LeRobot keeps the
features as ``input_features`` / ``output_features``; here they are plain fields
(``image_features``, ``state_dim``, ``action_dim``) converted at the JSON boundary. Keys LeRobot
writes that the model does not use (``device``, ``push_to_hub``, ...) are carried through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..config_json import IMAGE_PREFIX, LeRobotConfigJson

POLICY_TYPES = ("smolvla", "smolvla2")

# Fields that exist only in SmolVLA2 (and here): a LeRobot "smolvla" config.json must not carry them.
SMOLVLA2_ONLY_FIELDS = (
    "recipe_path",
    "apply_chat_template",
    "text_loss_weight",
    "flow_loss_weight",
    "unfreeze_lm_head",
    "plan_dropout_prob",
    "memory_dropout_prob",
    "subtask_dropout_prob",
    "enable_fast_action_loss",
    "fast_loss_weight",
    "fast_vocab_size",
    "fast_skip_tokens",
    "fps",
)


def _default_normalization() -> dict[str, str]:
    return {"VISUAL": "IDENTITY", "STATE": "MEAN_STD", "ACTION": "MEAN_STD"}


@dataclass
class SmolVLA2Config(LeRobotConfigJson):
    """Everything that shapes the SmolVLA2 model, its preprocessing and its training presets."""

    POLICY_TYPES: ClassVar[tuple[str, ...]] = POLICY_TYPES
    EXTENDED_ONLY_FIELDS: ClassVar[tuple[str, ...]] = SMOLVLA2_ONLY_FIELDS
    STATE_FIRST: ClassVar[bool] = True

    type: str = "smolvla2"
    # Features (LeRobot: input_features / output_features).
    image_features: list[str] = field(default_factory=list)
    state_dim: int = 0
    action_dim: int = 0
    image_shapes: dict[str, list[int]] = field(default_factory=dict)  # (3, H, W) as recorded
    fps: float | None = None

    n_obs_steps: int = 1
    chunk_size: int = 50
    n_action_steps: int = 50
    normalization_mapping: dict[str, str] = field(default_factory=_default_normalization)
    max_state_dim: int = 32
    max_action_dim: int = 32
    resize_imgs_with_padding: tuple[int, int] | None = (512, 512)
    empty_cameras: int = 0
    adapt_to_pi_aloha: bool = False
    use_delta_joint_actions_aloha: bool = False
    # SmolVLA uses 48; chat prompts with plan and memory need more.
    tokenizer_max_length: int = 256
    num_steps: int = 10
    use_cache: bool = True

    freeze_vision_encoder: bool = True
    train_expert_only: bool = True
    train_state_proj: bool = True

    optimizer_lr: float = 2.5e-5
    optimizer_betas: tuple[float, float] = (0.9, 0.95)
    optimizer_eps: float = 1e-8
    optimizer_weight_decay: float = 1e-10
    optimizer_grad_clip_norm: float = 10.0
    scheduler_warmup_steps: int = 1_000
    scheduler_decay_steps: int = 30_000
    scheduler_decay_lr: float = 2.5e-6

    vlm_model_name: str = "HuggingFaceTB/SmolVLM2-500M-Video-Instruct"
    load_vlm_weights: bool = True
    add_image_special_tokens: bool = False
    attention_mode: str = "cross_attn"
    prefix_length: int = -1
    pad_language_to: str = "longest"
    num_expert_layers: int = -1
    num_vlm_layers: int = 16
    self_attn_every_n_layers: int = 2
    expert_width_multiplier: float = 0.75
    min_period: float = 4e-3
    max_period: float = 4.0
    rtc_config: dict | None = None
    compile_model: bool = False
    compile_mode: str = "max-autotune"

    # SmolVLA2: the language head.
    recipe_path: str = "recipes/smolvla2_hirobot.yaml"
    apply_chat_template: bool = True
    text_loss_weight: float = 1.0
    flow_loss_weight: float = 5.0
    unfreeze_lm_head: bool = True
    plan_dropout_prob: float = 0.0
    memory_dropout_prob: float = 0.0
    subtask_dropout_prob: float = 0.0
    # FAST action tokens: id f is LM vocabulary row vocab_size - 1 - fast_skip_tokens - f.
    enable_fast_action_loss: bool = False
    fast_loss_weight: float = 1.0
    fast_vocab_size: int = 1024
    fast_skip_tokens: int = 128

    # LeRobot keys the model does not use, carried through a load/save round trip.
    lerobot_extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in POLICY_TYPES:
            raise ValueError(f"policy type {self.type!r} is not one of {POLICY_TYPES}")
        self.image_features = [
            key if key.startswith(IMAGE_PREFIX) else IMAGE_PREFIX + key for key in self.image_features
        ]
        if self.resize_imgs_with_padding is not None:
            self.resize_imgs_with_padding = tuple(self.resize_imgs_with_padding)
        height, width = self.resize_imgs_with_padding or (512, 512)
        self.image_shapes = {
            key: list(self.image_shapes.get(key, (3, height, width))) for key in self.image_features
        }
        self.optimizer_betas = tuple(self.optimizer_betas)
        if self.n_action_steps > self.chunk_size:
            raise ValueError(
                f"n_action_steps ({self.n_action_steps}) cannot exceed chunk_size ({self.chunk_size})"
            )
        if self.state_dim > self.max_state_dim:
            raise ValueError(f"state_dim {self.state_dim} exceeds max_state_dim {self.max_state_dim}")
        if self.action_dim > self.max_action_dim:
            raise ValueError(f"action_dim {self.action_dim} exceeds max_action_dim {self.max_action_dim}")
        if self.adapt_to_pi_aloha or self.use_delta_joint_actions_aloha:
            raise ValueError("the Aloha adaptations of SmolVLA are not supported")
        if self.attention_mode != "cross_attn":
            raise ValueError(f"attention_mode {self.attention_mode!r}: only 'cross_attn' is supported")
        for kind, mode in self.normalization_mapping.items():
            if mode not in ("IDENTITY", "MEAN_STD"):
                raise ValueError(f"normalization {mode!r} for {kind}: only IDENTITY and MEAN_STD are supported")

    @property
    def trains_text(self) -> bool:
        """Whether the language head is trained (LeRobot then forces train_expert_only off)."""
        return self.type == "smolvla2" and self.text_loss_weight > 0
