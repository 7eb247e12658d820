"""A LeRobot round trip on the simulated SO-101, shared by the LeRobot policy tests and benchmark.

1. Record: robot_node (simulated SO-101), camera_node (its simulated view) and recorder_node run as
   separate processes over loopback DDS; this process drives the arm through DEMONSTRATION (A to B
   and a hold, 50 commands a second, as a teleoperator would) and the recorder writes it in LeRobot
   units (an SO-101 in degrees, the gripper 0..100) with its feature contract.
2. Train: LeRobot's own ``lerobot-train`` (the console script of this interpreter's lerobot) on that
   folder, tiny dims, CPU.
3. policy_node loads the checkpoint (the LeRobot backend: its type is not ours) and drives a fresh
   simulated arm; :func:`path_error` measures how far the arm strayed from the demonstrated path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from recorder_feed import RecorderFeed
from ros_client import RobotClient
from ros_processes import NodeProcess, wait_for

JOINTS = ["shoulder_pan", "shoulder_lift", "elbow_flex", "wrist_flex", "wrist_roll", "gripper"]
FPS = 10
WIDTH, HEIGHT = 64, 48
TASK = "reach forward"
START = np.zeros(6)  # the simulated arm starts at 0 rad
# Every joint moves (a joint constant in the data gets std 0, and normalization then amplifies the
# simulated servo's quantization into huge inputs).
GOAL = np.array([0.5, 0.5, 0.4, 0.5, 0.3, 0.6])
MOVE_S, HOLD_S = 3.0, 1.5
COMMAND_HZ = 50.0
EPISODES = 5


def demonstration(t: float) -> np.ndarray:
    """The demonstrated pose at ``t`` s: a smooth step from START to GOAL in MOVE_S, then held."""
    s = min(max(t / MOVE_S, 0.0), 1.0)
    return START + (3 * s**2 - 2 * s**3) * (GOAL - START)


def demonstrated_path(samples: int = 400) -> np.ndarray:
    return np.stack([demonstration(MOVE_S * i / (samples - 1)) for i in range(samples)])


def path_error(poses: np.ndarray) -> float:
    """The largest distance (worst joint, rad) of any pose from the demonstrated path."""
    path = demonstrated_path()
    return float(max(np.abs(path - pose).max(axis=1).min() for pose in poses))


def require_lerobot() -> Path:
    """``lerobot-train`` of this interpreter; skips only where LeRobot 0.6 cannot be installed."""
    if sys.version_info < (3, 12):
        pytest.skip("LeRobot 0.6 needs Python >= 3.12; this venv is " + sys.version.split()[0])
    try:
        import lerobot  # noqa: F401
    except ImportError:
        pytest.fail("lerobot is not installed in this Python 3.12 venv: pip install -e '.[lerobot]' "
                    "(scripts/bootstrap_venv.sh does it)", pytrace=False)
    return Path(sys.executable).parent / "lerobot-train"


def sim_arm(tmp_path: Path) -> list[NodeProcess]:
    robot = NodeProcess("lerobot_ros.nodes.robot_node", "robot_node",
                        {"robot_type": "so101_follower", "port": "sim"}, tmp_path)
    camera = NodeProcess("lerobot_ros.nodes.camera_node", "front_camera",
                         {"name": "front", "source": "sim", "width": WIDTH, "height": HEIGHT, "fps": 30.0}, tmp_path)
    return [robot, camera]


def drive(client: RobotClient, pose_at, duration_s: float) -> None:
    """Command ``pose_at(t)`` at COMMAND_HZ for ``duration_s``, one point per command (as teleop_node)."""
    start = time.monotonic()
    while (t := time.monotonic() - start) <= duration_s:
        client.send(JOINTS, [(list(pose_at(t)), 2.0 / COMMAND_HZ)])
        time.sleep(1.0 / COMMAND_HZ)


def record_demonstrations(root: Path, tmp_path: Path, fps: int = FPS) -> Path:
    """EPISODES demonstrations recorded by recorder_node in LeRobot units at ``fps``; the dataset root."""
    config = tmp_path / "so101_lerobot_units.yaml"
    config.write_text(yaml.safe_dump({"fps": fps, "robot": "so101_follower", "language": False, "features": [
        {"key": "observation.state", "topic": "joint_states", "type": "joint_state", "max_age_s": 0.5},
        {"key": "action", "topic": "arm_controller/joint_trajectory", "type": "joint_trajectory", "max_age_s": 0.5},
        {"key": "observation.images.front", "topic": "front/image_raw", "type": "image", "height": HEIGHT,
         "width": WIDTH, "max_age_s": 0.5}]}))
    nodes = sim_arm(tmp_path)
    nodes.append(NodeProcess("lerobot_ros.nodes.recorder_node", "recorder_node",
                             {"config": str(config), "root": str(root), "codec": "libx264", "port": "sim"}, tmp_path))
    client = RobotClient("demonstrator")
    feed = RecorderFeed(publish=False)
    logs = lambda: "\n".join(n.log()[-2000:] for n in nodes)  # noqa: E731
    try:
        client.wait_for_state(60)
        assert wait_for(lambda: feed.status() is not None, 60.0), logs()
        for _ in range(EPISODES):
            drive(client, lambda t: START, 0.5)
            started = feed.call("start_episode", TASK)
            assert started.success, started.message + logs()
            drive(client, demonstration, MOVE_S + HOLD_S)
            stopped = feed.call("stop_episode")
            assert stopped.success, stopped.message + logs()
            back = demonstration(MOVE_S)
            drive(client, lambda t: back + min(t / 1.5, 1.0) * (START - back), 2.0)  # reset, not recorded
        assert feed.call("finalize").success
    finally:
        feed.close()
        client.close()
        for node in reversed(nodes):
            assert node.stop() == 0, node.log()
    return root


def lerobot_train(dataset: Path, out: Path, policy_args: list[str], steps: int, batch_size: int = 8,
                  timeout_s: float = 2400) -> Path:
    """LeRobot's own training script on ``dataset`` (CPU, offline); the last checkpoint's pretrained_model."""
    command = [str(require_lerobot()), "--dataset.repo_id=local/so101_sim_reach", f"--dataset.root={dataset}",
               "--dataset.video_backend=pyav", *policy_args, "--policy.device=cpu", "--policy.push_to_hub=false",
               f"--output_dir={out}", f"--steps={steps}", f"--batch_size={batch_size}", f"--save_freq={steps}",
               "--log_freq=50", "--num_workers=0", "--wandb.enable=false", "--seed=1"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WANDB_MODE": "disabled", "OMP_NUM_THREADS": "2",
           "HF_LEROBOT_HOME": str(out.parent / "hf_lerobot_home")}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout_s)
    (out.parent / "lerobot_train.log").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"lerobot-train failed:\n{' '.join(command)}\n{result.stderr[-6000:]}"
    return out / "checkpoints" / "last" / "pretrained_model"
