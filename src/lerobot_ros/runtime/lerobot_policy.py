"""Any LeRobot policy (ACT, Diffusion, SmolVLA, pi0, ...) behind the runtime's policy interface.

LeRobot is the library for its policies: this module loads a checkpoint with the installed
``lerobot`` exactly as ``lerobot-record --policy.path`` does (``PreTrainedPolicy.from_pretrained``
of the class its ``config.json`` names, and the saved pre/post-processor pipelines with their
normalization stats) and asks it for actions the way LeRobot's own control loop does
(``prepare_observation_for_inference`` -> preprocessor -> ``select_action`` -> postprocessor).

The runtime wants a chunk per model call, not one action: after ``reset()`` the policy is asked
``n_action_steps`` times with the same observation. Every LeRobot policy with an action queue (ACT,
Diffusion, SmolVLA, pi0, VQ-BeT, ...) computes its chunk on the first call and pops the rest, so
this is one forward pass, and the chunk is exactly what ``lerobot-record`` would execute from that
observation over the next ``n_action_steps`` ticks.

A policy that reads an observation history (``n_obs_steps`` > 1: Diffusion, VQ-BeT) gets it too:
``lerobot-record`` feeds it a frame every tick, so when its action queue runs dry it computes the
chunk from the last ``n_obs_steps`` frames, 1 / fps apart. The runtime hands over those earlier
frames (``Observation.history``), they go into the policy's observation queues first, and the chunk
is the one ``lerobot-record`` would compute at that tick (not one from the present frame repeated,
which LeRobot does only at an episode's start).

Real-time chunking (policy_node ``chunk_blending:=rtc``) uses LeRobot's own RTC: loading switches
it on in the policy's config (``rtc_config``, its ``RTCProcessor``) for policies whose
``supports_rtc()`` is true (SmolVLA, pi05 in 0.6.1; any other is refused, naming its type), and each
chunk is then ``predict_action_chunk(batch, inference_delay=..., prev_chunk_left_over=...)`` as
LeRobot's RTC rollout calls it, the running chunk normalized by the preprocessor's normalizer step.

Flat policies have no language head: ``talks`` is False, the runtime asks for no subtask, memory
or answer, and the task string goes in as LeRobot's ``task``. ``lerobot`` is an optional
dependency (``pip install 'lerobot_ros[lerobot]'``, Python >= 3.12): without it loading says so.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .policy import Observation
from .schedule import RunningPrefix

if TYPE_CHECKING:
    from ..policies.rtc import RTCConfig

log = logging.getLogger(__name__)

INSTALL_HINT = ("pip install 'lerobot_ros[lerobot]' (LeRobot 0.6.1; it needs Python >= 3.12, as ROS 2 Jazzy "
                "on Ubuntu 24.04 has)")
TRAIN_CONFIG = "train_config.json"  # lerobot-train writes it into every pretrained_model/
STATE_KEY = "observation.state"


class LeRobotMissing(ImportError):
    """The checkpoint is a LeRobot policy and the ``lerobot`` package is not installed."""


def require_lerobot() -> None:
    """Raise :class:`LeRobotMissing` with the install command when ``lerobot`` cannot be imported."""
    try:
        import lerobot  # noqa: F401
    except ImportError as err:
        raise LeRobotMissing(f"this checkpoint is a LeRobot policy and running it needs the lerobot package, "
                             f"which is not importable here ({err}): {INSTALL_HINT}") from None


def training_dataset(folder: Path) -> Path | None:
    """The local dataset root ``lerobot-train`` trained the checkpoint in ``folder`` on (its
    ``train_config.json``), when that folder still exists; None otherwise."""
    path = folder / TRAIN_CONFIG
    if not path.is_file():
        return None
    root = (json.loads(path.read_text()).get("dataset") or {}).get("root")
    return Path(root) if root and (Path(root) / "meta" / "info.json").is_file() else None


def dataset_fps(folder: Path) -> float | None:
    """The fps of the dataset the checkpoint in ``folder`` was trained on, when it is known here."""
    root = training_dataset(folder)
    return float(json.loads((root / "meta" / "info.json").read_text())["fps"]) if root is not None else None


def task_of(messages: Sequence[dict]) -> str:
    """The task a flat policy is given: the runtime passes it as the one user message."""
    users = [m["content"] for m in messages if m.get("role") == "user"]
    if len(users) != 1 or not isinstance(users[0], str):
        raise ValueError(f"a flat policy takes one user message holding the task, got {list(messages)!r}")
    return users[0]


def enable_lerobot_rtc(policy, rtc: RTCConfig) -> None:
    """Switch LeRobot's real-time chunking on in a loaded policy, with our settings in its RTCConfig."""
    supports = getattr(policy, "supports_rtc", None)
    if supports is None or not supports() or not hasattr(policy, "init_rtc_processor"):
        raise ValueError(f"chunk_blending rtc needs a flow-matching policy with LeRobot's real-time chunking "
                         f"(SmolVLA, pi05 in LeRobot 0.6.1); the {policy.config.type} policy has none: use "
                         "chunk_blending crossfade")
    from lerobot.configs import RTCAttentionSchedule
    from lerobot.policies.rtc import RTCConfig as LeRobotRTCConfig

    policy.config.rtc_config = LeRobotRTCConfig(
        execution_horizon=rtc.execution_horizon, max_guidance_weight=rtc.max_guidance_weight,
        prefix_attention_schedule=RTCAttentionSchedule(rtc.prefix_schedule.value))
    policy.init_rtc_processor()


class LeRobotPolicy:
    """A loaded LeRobot ``PreTrainedPolicy`` with its processors, asked for chunks of its
    ``n_action_steps`` actions in the units of its dataset (``RadianActions`` converts them)."""

    talks = False

    def __init__(self, policy, preprocessor, postprocessor, chunk_fps: float, robot_type: str = ""):
        self.policy = policy.eval()
        self.preprocessor = preprocessor
        self.postprocessor = postprocessor
        self._chunk_fps = float(chunk_fps)
        self.robot_type = robot_type
        config = policy.config
        unsupported = sorted(set(config.input_features) - set(config.image_features) - {STATE_KEY})
        if unsupported:
            raise ValueError(f"the policy ({config.type}) reads {', '.join(unsupported)}; policy_node feeds a "
                             f"LeRobot policy {STATE_KEY} and camera images only")
        if STATE_KEY not in config.input_features:
            raise ValueError(f"the policy ({config.type}) does not read {STATE_KEY}; policy_node needs it (the "
                             "arm's present position anchors every chunk)")
        self.steps = int(getattr(config, "n_action_steps", 1) or 1)
        self.observation_steps = int(getattr(config, "n_obs_steps", 1) or 1)
        if self.observation_steps > 1 and not isinstance(getattr(policy, "_queues", None), dict):
            raise ValueError(f"the policy ({config.type}) reads {self.observation_steps} observation steps but "
                             "keeps no observation queues (LeRobot's _queues) to give them to")
        self.device = next(policy.parameters()).device
        self.rtc = getattr(config, "rtc_config", None) is not None and bool(config.rtc_config.enabled)

    @classmethod
    def load(cls, name_or_path: str, *, device: str = "cpu", chunk_fps: float | None = None,
             robot_type: str = "", rtc: RTCConfig | None = None) -> LeRobotPolicy:
        """A checkpoint folder (``.../pretrained_model``) or Hub id, as ``lerobot-record --policy.path``
        loads it; ``chunk_fps`` defaults to the fps of the dataset it was trained on, when that
        dataset is on this machine; ``rtc``: switch LeRobot's real-time chunking on with these settings."""
        require_lerobot()
        from lerobot.configs.policies import PreTrainedConfig
        from lerobot.policies.factory import get_policy_class, make_pre_post_processors

        config = PreTrainedConfig.from_pretrained(name_or_path)
        config.device = device
        policy = get_policy_class(config.type).from_pretrained(name_or_path, config=config)
        if rtc is not None:
            enable_lerobot_rtc(policy, rtc)
        preprocessor, postprocessor = make_pre_post_processors(
            policy_cfg=config, pretrained_path=str(name_or_path),
            preprocessor_overrides={"device_processor": {"device": device}})
        folder = Path(name_or_path)
        fps = chunk_fps or (dataset_fps(folder) if folder.is_dir() else None)
        if not fps:
            raise ValueError(f"{name_or_path}: the rate of the policy's action steps is unknown (LeRobot's "
                             "config has no fps and its training dataset is not on this machine): set chunk_fps "
                             "to the dataset's fps")
        log.info("LeRobot %s policy from %s on %s: %d actions per model call at %g fps", config.type, name_or_path,
                 device, int(getattr(config, "n_action_steps", 1) or 1), fps)
        return cls(policy, preprocessor, postprocessor, fps, robot_type)

    @property
    def chunk_fps(self) -> float:
        return self._chunk_fps

    @property
    def image_features(self) -> list[str]:
        return list(self.policy.config.image_features)

    @property
    def image_shapes(self) -> dict[str, list[int]]:
        return {key: list(feature.shape) for key, feature in self.policy.config.image_features.items()}

    def generate(self, messages: Sequence[dict], observation: Observation) -> str:
        raise ValueError(f"the LeRobot {self.policy.config.type} policy has no language head: it answers no "
                         "question and writes no subtask, memory or plan")

    def action_chunk(self, messages: Sequence[dict], observation: Observation,
                     rtc: RunningPrefix | None = None) -> np.ndarray:
        """(n_action_steps, action_dim) actions, in the dataset's units, from ``observation`` (and the
        ``observation_steps - 1`` frames of its history); ``rtc``: the running chunk (dataset units) and
        the inference delay, for a policy loaded with real-time chunking."""
        prefix = rtc
        import torch

        task = task_of(messages)
        if self.rtc:
            return self._rtc_chunk(observation, task, prefix)
        if prefix is not None:
            raise ValueError(f"the LeRobot {self.policy.config.type} policy was loaded without real-time chunking "
                             "(load it with rtc settings) but was asked for a guided chunk")
        frames = [*observation.history, observation][-self.observation_steps:]
        with torch.inference_mode():
            batches = [self._batch(frame, task) for frame in frames]
            self.policy.reset()  # fresh queues: the whole chunk comes from these frames
            for earlier in batches[:-1]:
                self._queue_observation(earlier)
            actions = [self.postprocessor(self.policy.select_action(batches[-1])) for _ in range(self.steps)]
        return torch.cat(actions).float().cpu().numpy()

    def _rtc_chunk(self, observation: Observation, task: str, prefix: RunningPrefix | None) -> np.ndarray:
        """A chunk as LeRobot's RTC rollout asks for it (``select_action`` refuses an RTC policy)."""
        import torch
        from lerobot.processor import NormalizerProcessorStep, TransitionKey, create_transition

        # no_grad, not inference_mode: LeRobot's RTCProcessor takes a gradient through its prediction.
        with torch.no_grad():
            batch = self._batch(observation, task)
            left_over, delay = None, None
            if prefix is not None:
                left_over = torch.as_tensor(np.asarray(prefix.actions)[: self.policy.config.chunk_size],
                                            dtype=torch.float32, device=self.device)
                normalizer = next((s for s in self.preprocessor.steps if isinstance(s, NormalizerProcessorStep)), None)
                if normalizer is not None:
                    left_over = normalizer(create_transition(action=left_over))[TransitionKey.ACTION]
                delay = prefix.inference_delay
            actions = self.policy.predict_action_chunk(batch, inference_delay=delay, prev_chunk_left_over=left_over)
            actions = self.postprocessor(actions)
        return actions[0, : self.steps].float().cpu().numpy()

    def _batch(self, frame: Observation, task: str) -> dict:
        """One frame as LeRobot's control loop gives it to the policy (batched, preprocessed)."""
        from lerobot.policies.utils import prepare_observation_for_inference

        values = {STATE_KEY: np.asarray(frame.state, dtype=np.float32)}
        values.update({key: np.ascontiguousarray(frame.images[key]) for key in self.image_features})
        return self.preprocessor(prepare_observation_for_inference(values, self.device, task, self.robot_type))

    def _queue_observation(self, batch: dict) -> None:
        """An earlier frame into the policy's observation queues, as its ``select_action`` queues one
        at a tick where actions are still queued: LeRobot's ``populate_queues``, the cameras stacked
        under ``observation.images`` first (as Diffusion, VQ-BeT and Multi-task DiT stack them)."""
        import torch
        from lerobot.policies.utils import populate_queues
        from lerobot.utils.constants import ACTION, OBS_IMAGES

        batch = dict(batch)
        if self.image_features:
            batch[OBS_IMAGES] = torch.stack([batch[key] for key in self.image_features], dim=-4)
        populate_queues(self.policy._queues, batch, exclude_keys=[ACTION])  # the action queue stays empty
