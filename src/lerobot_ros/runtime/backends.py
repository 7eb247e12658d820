"""Which policy implementation runs a checkpoint: ours (SmolVLA2, PI052), or LeRobot's (docs/policy.md).

``auto`` reads the checkpoint's ``config.json``: ``type: smolvla2`` (:mod:`.smolvla2_policy`) and
``type: pi052`` (:mod:`.pi052_policy`) are ours; any other type is a LeRobot policy (ACT, Diffusion,
SmolVLA, pi05, ...) and runs through the installed ``lerobot`` (:mod:`.lerobot_policy`). The
``smolvla2`` backend means ours: it loads a pi052 checkpoint with PI052.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..policies.smolvla2.checkpoint import resolve_folder
from ..policies.rtc import RTCConfig
from ..recording.contract import CONTRACT_FILE
from .lerobot_policy import LeRobotPolicy, training_dataset
from .pi052_policy import PI052LanguagePolicy
from .policy import LanguagePolicy
from .smolvla2_policy import SmolVLA2LanguagePolicy, TextGeneration

AUTO, SMOLVLA2, LEROBOT = "auto", "smolvla2", "lerobot"
BACKENDS = (AUTO, SMOLVLA2, LEROBOT)
OUR_TYPES = ("smolvla2", "pi052")


def checkpoint_type(folder: Path) -> str:
    """The ``type`` in the checkpoint's ``config.json``."""
    path = folder / "config.json"
    try:
        return str(json.loads(path.read_text())["type"])
    except FileNotFoundError:
        raise FileNotFoundError(f"{folder}: no config.json: not a policy checkpoint folder") from None
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a policy config with a type ({err})") from None


def choose_backend(checkpoint: str, backend: str = AUTO) -> str:
    """``smolvla2`` or ``lerobot`` for ``checkpoint`` (``auto``: from its config.json's type)."""
    if backend not in BACKENDS:
        raise ValueError(f"policy backend {backend!r} is not one of {', '.join(BACKENDS)}")
    if backend != AUTO:
        return backend
    return SMOLVLA2 if checkpoint_type(resolve_folder(checkpoint)) in OUR_TYPES else LEROBOT


def load_policy(checkpoint: str, backend: str = AUTO, *, device: str = "cpu", chunk_fps: float | None = None,
                text: TextGeneration = TextGeneration(), robot_type: str = "",
                rtc: RTCConfig | None = None) -> LanguagePolicy:
    """The checkpoint loaded by its backend; ``robot_type`` is LeRobot's ``robot_type`` input; ``rtc``:
    real-time chunking will be asked for with these settings (a LeRobot policy without RTC is refused)."""
    if choose_backend(checkpoint, backend) == SMOLVLA2:
        ours = PI052LanguagePolicy if checkpoint_type(resolve_folder(checkpoint)) == "pi052" else SmolVLA2LanguagePolicy
        return ours.load(checkpoint, device=device, text=text, chunk_fps=chunk_fps, rtc=rtc or RTCConfig())
    return LeRobotPolicy.load(checkpoint, device=device, chunk_fps=chunk_fps, robot_type=robot_type, rtc=rtc)


def checkpoint_contract(checkpoint: str) -> Path | None:
    """The feature contract that came with the checkpoint: its own ``lerobot_ros.json`` (written by
    ``lerobot-ros train``), else that of the dataset ``lerobot-train`` trained it on (named in its
    ``train_config.json``), when that dataset is on this machine."""
    folder = resolve_folder(checkpoint)
    own = folder / CONTRACT_FILE
    if own.is_file():
        return own
    dataset = training_dataset(folder)
    saved = dataset / "meta" / CONTRACT_FILE if dataset is not None else None
    return saved if saved is not None and saved.is_file() else None
