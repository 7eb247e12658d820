"""``plot_episode`` writes a PNG of the documented size with curves and camera frames on it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dataset_helpers import create, record_episode
from lerobot_ros.dataset.plot import plot_episode


def test_plot_writes_a_png_that_is_not_blank(tmp_path):
    root = tmp_path / "ds"
    with create(root) as writer:
        record_episode(writer, 0, 6)
        record_episode(writer, 1, 9)
    out = plot_episode(root, 1, tmp_path / "plots" / "episode_1.png")
    image = cv2.imread(str(out))
    assert image.shape == (800, 1200, 3)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50  # curves, legend, frames: many colours
    # the synthetic frames' red gradient shows up in the camera strip (bottom third, BGR order)
    strip = image[560:780]
    assert (strip[..., 2].astype(int) - strip[..., 0].astype(int) > 60).any()
    with pytest.raises(ValueError, match="episode 2 does not exist"):
        plot_episode(root, 2, tmp_path / "x.png")
