"""LeRobot's own SmolVLA on the tiny local SmolVLM, behind the LeRobot policy backend (no ROS).

LeRobot builds its SmolVLAPolicy with ``vlm_model_name`` = the folder tiny.py writes (config,
tokenizer and SmolVLM's processor; nothing downloaded), saves it with its processors as
lerobot-train does, and our backend loads it and asks it for a chunk: the chunk must be the one
LeRobot's own control loop (lerobot-record's ``predict_action``) executes over n_action_steps ticks
from the same observation and noise. This is what the lerobot extra's transformers bound is for:
under transformers >= 5.6 LeRobot 0.6.1's SmolVLA sampler fails (``DynamicCache.crop``), and
without the processor in the folder it cannot be built. tests/nodes/test_lerobot_smolvla.py trains
one with lerobot-train and drives the simulated arm with it.
"""

from __future__ import annotations

import numpy as np
import pytest

from lerobot_ros.policies.smolvla2 import write_tiny_vlm
from lerobot_ros.runtime.lerobot_policy import LeRobotPolicy

from lerobot_saved import DIM, FRONT, STEPS, H, W, needs_lerobot, observation, save_with_processors

TASK = "reach forward"


@pytest.fixture(scope="module")
def smolvla_folder(tmp_path_factory):
    """A tiny SmolVLA (random weights) and its processors, saved by LeRobot."""
    needs_lerobot()
    import torch
    from lerobot.configs.types import FeatureType, PolicyFeature
    from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

    vlm = write_tiny_vlm(tmp_path_factory.mktemp("tiny_vlm"), corpus=[TASK], processor=True)
    torch.manual_seed(0)
    config = SmolVLAConfig(
        input_features={"observation.state": PolicyFeature(FeatureType.STATE, (DIM,)),
                        FRONT: PolicyFeature(FeatureType.VISUAL, (3, H, W))},
        output_features={"action": PolicyFeature(FeatureType.ACTION, (DIM,))},
        vlm_model_name=str(vlm), load_vlm_weights=False, num_vlm_layers=4, resize_imgs_with_padding=(64, 64),
        chunk_size=STEPS, n_action_steps=STEPS, num_steps=4, device="cpu")
    stats = {"observation.state": {"mean": torch.full((DIM,), 10.0), "std": torch.full((DIM,), 20.0)},
             "action": {"mean": torch.full((DIM,), -5.0), "std": torch.full((DIM,), 30.0)}}
    policy = SmolVLAPolicy(config)
    return save_with_processors(policy, stats, tmp_path_factory.mktemp("smolvla") / "pretrained_model")


def test_a_lerobot_smolvla_on_the_tiny_vlm_gives_lerobots_own_chunk(smolvla_folder):
    import torch
    from lerobot.common.control_utils import predict_action
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.factory import make_pre_post_processors
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

    ours = LeRobotPolicy.load(str(smolvla_folder), chunk_fps=10.0, robot_type="so101_follower")
    assert not ours.talks and ours.steps == STEPS and ours.image_features == [FRONT]
    seen = observation()
    torch.manual_seed(3)  # the flow's starting noise
    chunk = ours.action_chunk([{"role": "user", "content": TASK}], seen)
    assert chunk.shape == (STEPS, DIM)

    config = PreTrainedConfig.from_pretrained(smolvla_folder)
    theirs = SmolVLAPolicy.from_pretrained(smolvla_folder, config=config)
    pre, post = make_pre_post_processors(config, pretrained_path=str(smolvla_folder))
    frame = {"observation.state": seen.state.astype(np.float32), FRONT: seen.images[FRONT]}
    torch.manual_seed(3)
    expected = [predict_action(dict(frame), theirs, torch.device("cpu"), pre, post, False, TASK, "so101_follower")
                for _ in range(STEPS)]
    np.testing.assert_allclose(chunk, torch.cat(expected).numpy(), rtol=1e-5, atol=1e-4)
    assert np.abs(chunk - (-5.0)).max() > 1.0  # unnormalized with the saved stats (mean -5, std 30)

    torch.manual_seed(4)  # the comparison has teeth: other noise, another chunk
    other = ours.action_chunk([{"role": "user", "content": TASK}], seen)
    assert np.abs(other - chunk).max() > 1e-2
