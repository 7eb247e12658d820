"""The LeRobot policy backend without ROS: which backend a checkpoint gets, a LeRobot ACT saved by
LeRobot and loaded by us gives exactly the actions LeRobot's own control loop would execute, a flat
policy runs without language, and without lerobot the error says how to install it.

The ACT here is built and saved by LeRobot itself (random weights, tiny dims, stats given): what is
tested is the loading and the inference path, not learning (tests/nodes/test_lerobot_policy.py
trains one with lerobot-train and drives the simulated arm with it).
"""

from __future__ import annotations

import dataclasses
import json
import sys

import numpy as np
import pytest

from lerobot_ros.runtime import backends
from lerobot_ros.runtime.lerobot_policy import LeRobotMissing, LeRobotPolicy
from lerobot_ros.runtime.policy import Observation
from lerobot_ros.runtime.runtime import HierarchicalRuntime, RuntimeConfig

from lerobot_saved import DIM, FRONT, STEPS, H, W, needs_lerobot, observation, save_with_processors



@pytest.fixture(scope="module")
def act_folder(tmp_path_factory):
    """A tiny ACT and its processors, saved by LeRobot as lerobot-train saves them."""
    needs_lerobot()
    import torch
    from lerobot.configs.types import FeatureType, PolicyFeature
    from lerobot.policies.act.configuration_act import ACTConfig
    from lerobot.policies.act.modeling_act import ACTPolicy

    torch.manual_seed(0)
    config = ACTConfig(
        input_features={"observation.state": PolicyFeature(FeatureType.STATE, (DIM,)),
                        FRONT: PolicyFeature(FeatureType.VISUAL, (3, H, W))},
        output_features={"action": PolicyFeature(FeatureType.ACTION, (DIM,))},
        dim_model=32, n_heads=2, dim_feedforward=64, n_encoder_layers=1, n_decoder_layers=1, use_vae=False,
        chunk_size=STEPS, n_action_steps=STEPS, pretrained_backbone_weights=None, device="cpu")
    stats = {"observation.state": {"mean": torch.full((DIM,), 10.0), "std": torch.full((DIM,), 20.0)},
             "action": {"mean": torch.full((DIM,), -5.0), "std": torch.full((DIM,), 30.0)},
             FRONT: {"mean": torch.full((3, 1, 1), 0.5), "std": torch.full((3, 1, 1), 0.2)}}
    policy = ACTPolicy(config)
    return save_with_processors(policy, stats, tmp_path_factory.mktemp("act") / "pretrained_model")


def test_the_backend_follows_the_config_type(tmp_path, act_folder):
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "config.json").write_text(json.dumps({"type": "smolvla2"}))
    assert backends.choose_backend(str(ours)) == backends.SMOLVLA2
    assert backends.choose_backend(str(act_folder)) == backends.LEROBOT
    assert backends.choose_backend(str(ours), "lerobot") == backends.LEROBOT
    with pytest.raises(ValueError, match="policy backend 'tf' is not one of auto, smolvla2, lerobot"):
        backends.choose_backend(str(ours), "tf")
    with pytest.raises(FileNotFoundError, match="no config.json"):
        backends.choose_backend(str(tmp_path))


def test_chunks_are_what_lerobots_own_loop_executes(act_folder):
    """n_action_steps actions from one observation: those LeRobot's predict_action (lerobot-record's
    step) returns on n_action_steps consecutive ticks from a fresh policy, in the dataset's units."""
    import torch
    from lerobot.common.control_utils import predict_action
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.act.modeling_act import ACTPolicy
    from lerobot.policies.factory import make_pre_post_processors

    ours = LeRobotPolicy.load(str(act_folder), chunk_fps=10.0, robot_type="so101_follower")
    assert not ours.talks and ours.chunk_fps == 10.0
    assert ours.image_features == [FRONT] and ours.image_shapes == {FRONT: [3, H, W]}
    seen = observation()
    chunk = ours.action_chunk([{"role": "user", "content": "reach"}], seen)
    assert chunk.shape == (STEPS, DIM)

    config = PreTrainedConfig.from_pretrained(act_folder)
    theirs = ACTPolicy.from_pretrained(act_folder, config=config)
    pre, post = make_pre_post_processors(config, pretrained_path=str(act_folder))
    frame = {"observation.state": seen.state.astype(np.float32), FRONT: seen.images[FRONT]}
    expected = [predict_action(dict(frame), theirs, torch.device("cpu"), pre, post, False, "reach", "so101_follower")
                for _ in range(STEPS)]
    np.testing.assert_allclose(chunk, torch.cat(expected).numpy(), rtol=1e-5, atol=1e-4)
    assert np.abs(chunk - (-5.0)).max() > 1.0  # unnormalized with the saved stats (mean -5, std 30)

    with pytest.raises(ValueError, match="no language head"):
        ours.generate([{"role": "user", "content": "what do you see?"}], seen)


@pytest.fixture(scope="module")
def diffusion_folder(tmp_path_factory):
    """A tiny Diffusion (two observation steps) and its processors, saved by LeRobot."""
    needs_lerobot()
    import torch
    from lerobot.configs.types import FeatureType, PolicyFeature
    from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
    from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy

    torch.manual_seed(0)
    config = DiffusionConfig(
        input_features={"observation.state": PolicyFeature(FeatureType.STATE, (DIM,)),
                        FRONT: PolicyFeature(FeatureType.VISUAL, (3, H, W))},
        output_features={"action": PolicyFeature(FeatureType.ACTION, (DIM,))},
        n_obs_steps=2, horizon=8, n_action_steps=STEPS, drop_n_last_frames=2, down_dims=(16, 32),
        diffusion_step_embed_dim=16, spatial_softmax_num_keypoints=8, pretrained_backbone_weights=None,
        use_group_norm=True, noise_scheduler_type="DDIM", num_inference_steps=4, device="cpu")
    stats = {"observation.state": {"min": torch.full((DIM,), -60.0), "max": torch.full((DIM,), 60.0)},
             "action": {"min": torch.full((DIM,), -90.0), "max": torch.full((DIM,), 90.0)},
             FRONT: {"mean": torch.full((3, 1, 1), 0.5), "std": torch.full((3, 1, 1), 0.2)}}
    policy = DiffusionPolicy(config)
    return save_with_processors(policy, stats, tmp_path_factory.mktemp("diffusion") / "pretrained_model")


def test_a_policy_reading_two_frames_gets_the_earlier_one_as_lerobots_loop_gives_it(diffusion_folder):
    """Diffusion's n_obs_steps 2: the chunk from the present frame and its history is the chunk
    LeRobot's own loop (lerobot-record's predict_action every tick) computes at the tick where its
    action queue has run dry, having been given the earlier frame on the tick before."""
    import torch
    from lerobot.common.control_utils import predict_action
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.diffusion.modeling_diffusion import DiffusionPolicy
    from lerobot.policies.factory import make_pre_post_processors

    ours = LeRobotPolicy.load(str(diffusion_folder), chunk_fps=10.0, robot_type="so101_follower")
    assert ours.observation_steps == 2 and ours.steps == STEPS
    before, now = observation(1), observation(2)
    task = [{"role": "user", "content": "reach"}]
    torch.manual_seed(7)  # the diffusion's starting noise
    chunk = ours.action_chunk(task, dataclasses.replace(now, history=(before,)))
    assert chunk.shape == (STEPS, DIM)

    config = PreTrainedConfig.from_pretrained(diffusion_folder)
    theirs = DiffusionPolicy.from_pretrained(diffusion_folder, config=config)
    pre, post = make_pre_post_processors(config, pretrained_path=str(diffusion_folder))

    def tick(seen: Observation):
        frame = {"observation.state": seen.state.astype(np.float32), FRONT: seen.images[FRONT]}
        return predict_action(frame, theirs, torch.device("cpu"), pre, post, False, "reach", "so101_follower")

    tick(before)
    theirs._queues["action"].clear()  # mid-episode: the chunk the earlier ticks executed has run out
    torch.manual_seed(7)
    expected = torch.cat([tick(now) for _ in range(STEPS)]).numpy()
    np.testing.assert_allclose(chunk, expected, rtol=1e-5, atol=1e-4)

    torch.manual_seed(7)  # without its history the present frame stands for both (LeRobot's episode start)
    alone = ours.action_chunk(task, now)
    assert np.abs(alone - chunk).max() > 0.1, "the earlier frame made no difference to the chunk"


class FlatPolicy:
    talks = False
    chunk_fps = 10.0

    def __init__(self):
        self.prompts = []

    def action_chunk(self, messages, observation):
        self.prompts.append(messages)
        return np.full((STEPS, DIM), 0.25)

    def generate(self, messages, observation):
        raise AssertionError("a flat policy is never asked for text")


def test_a_flat_policy_acts_on_the_task_alone_and_refuses_language():
    policy, outputs = FlatPolicy(), []

    class Outputs:
        def trajectory(self, window, now_s):
            outputs.append(window)

        def hold(self):
            pass

    now = [100.0]
    runtime = HierarchicalRuntime(policy, RuntimeConfig(heartbeat_timeout_s=0.0),
                                  lambda: Observation({}, np.zeros(DIM), now[0]), Outputs(), clock=lambda: now[0])
    runtime.set_task("reach forward")
    assert runtime.run_next_job()
    assert policy.prompts == [[{"role": "user", "content": "reach forward"}]]
    assert runtime.subtask is None and runtime.diagnostics.text_calls == 0
    runtime.tick(now[0] + 0.01)
    assert outputs and np.allclose(outputs[0].positions, 0.25)
    for refused in (lambda: runtime.ask("what is there?"), lambda: runtime.interject("go left instead")):
        with pytest.raises(ValueError, match="needs a policy with a language head"):
            refused()


def test_without_lerobot_loading_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "lerobot", None)  # what an interpreter without lerobot raises on import
    with pytest.raises(LeRobotMissing, match=r"pip install 'lerobot_ros\[lerobot\]'"):
        LeRobotPolicy.load(str(tmp_path), chunk_fps=10.0)
