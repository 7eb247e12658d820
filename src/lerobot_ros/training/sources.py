"""Where the training data comes from: a local LeRobotDataset folder, or a Hub dataset repo id pulled
once into LeRobot's cache folder (``$HF_LEROBOT_HOME/<repo_id>``, by default
``~/.cache/huggingface/lerobot/<repo_id>``), the same place LeRobot keeps it."""

from __future__ import annotations

import os
from pathlib import Path

from ..dataset import hub
from ..dataset.layout import INFO_PATH


def lerobot_home() -> Path:
    if "HF_LEROBOT_HOME" in os.environ:
        return Path(os.environ["HF_LEROBOT_HOME"]).expanduser()
    hf_home = Path(os.environ.get("HF_HOME", "~/.cache/huggingface")).expanduser()
    return hf_home / "lerobot"


def is_repo_id(name: str) -> bool:
    """``<owner>/<name>`` and not a path (a Hub dataset repo id)."""
    return name.count("/") == 1 and not name.startswith((".", "/", "~")) and all(name.split("/"))


def check_dataset_name(name: str) -> None:
    """Fail early, before any training process starts, on a dataset that cannot be found."""
    if not Path(name).expanduser().exists() and not is_repo_id(name):
        raise FileNotFoundError(f"dataset {name!r}: no such folder, and not a Hub repo id (<owner>/<name>)")


def resolve_dataset(name: str) -> Path:
    """The local folder of dataset ``name`` (a path, or a repo id pulled on first use)."""
    local = Path(name).expanduser()
    if local.exists():
        if not (local / INFO_PATH).exists():
            raise FileNotFoundError(f"{local} is not a LeRobotDataset folder (no {INFO_PATH})")
        return local
    cached = lerobot_home() / name
    if (cached / INFO_PATH).exists():
        return cached
    check_dataset_name(name)
    cached.parent.mkdir(parents=True, exist_ok=True)
    return hub.pull(name, cached)
