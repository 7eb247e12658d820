"""Fixtures of the training tests: one synthetic annotated dataset per session (written with our
DatasetWriter, real PyAV video), and torch kept to one thread per process on the shared cores."""

from __future__ import annotations

import pytest
import torch

from lerobot_ros.training.synthetic import SyntheticSpec, write_synthetic_dataset


@pytest.fixture(autouse=True)
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def annotated_dataset(tmp_path_factory):
    """4 episodes x 3 phases x 10 frames at 10 fps, one 32x48 camera, every language row kind."""
    return write_synthetic_dataset(tmp_path_factory.mktemp("training") / "annotated", SyntheticSpec())
