"""Tiny LeRobot policies saved by LeRobot itself (policy, preprocessor and postprocessor, as
lerobot-train saves them), and the camera observation the backend tests feed them."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from lerobot_ros.runtime.policy import Observation

FRONT = "observation.images.front"
H, W, DIM, STEPS = 48, 64, 6, 5


def needs_lerobot():
    """Skips only where LeRobot 0.6 cannot be installed (Python < 3.12, e.g. Humble's 3.10); fails where it
    could be and is missing, as tests/lerobot_round_trip.py's require_lerobot does."""
    if sys.version_info < (3, 12):
        pytest.skip("LeRobot 0.6 needs Python >= 3.12; this venv is " + sys.version.split()[0])
    try:
        import lerobot  # noqa: F401
    except ImportError:
        pytest.fail("lerobot is not installed in this Python 3.12 venv: pip install -e '.[lerobot]' "
                    "(scripts/bootstrap_venv.sh does it)", pytrace=False)


def save_with_processors(policy, stats: dict, folder: Path) -> Path:
    """``policy`` and the pre/post-processors LeRobot makes for its config and ``stats``, saved into ``folder``."""
    from lerobot.policies.factory import make_pre_post_processors

    preprocessor, postprocessor = make_pre_post_processors(policy.config, dataset_stats=stats)
    policy.save_pretrained(folder)
    preprocessor.save_pretrained(folder)
    postprocessor.save_pretrained(folder)
    return folder


def observation(seed: int = 0) -> Observation:
    rng = np.random.default_rng(seed)
    return Observation({FRONT: rng.integers(0, 255, (H, W, 3), dtype=np.uint8)}, rng.normal(0, 30, DIM), 0.0)
