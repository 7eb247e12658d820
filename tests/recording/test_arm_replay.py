"""ArmReplay (the ROS-free core of `lerobot-ros replay --to-robot`) on a manual clock: nothing before
the follower's pose, a ramp from it, the episode's clock running only while commands flow, a stale
heartbeat holding the arm (one stop) and a ramp again from the present pose when it is back."""

from __future__ import annotations

import numpy as np

from lerobot_ros.recording.config import FeatureConfig
from lerobot_ros.recording.replay import ActionStream, ArmReplay
from lerobot_ros.teleop.teleop_session import TeleopConfig

JOINTS = ("a", "b")


def replay() -> ArmReplay:
    feature = FeatureConfig(key="action", topic="t", type="joint_trajectory", max_age_s=0.1, joints=JOINTS)
    actions = ActionStream(feature, JOINTS, np.array([[0.1 * k, -0.1 * k] for k in range(10)]), fps=10)
    limits = np.array([[-2.0, 2.0], [-2.0, 2.0]])
    return ArmReplay(actions, limits, heartbeat_timeout_s=0.3,
                     config=TeleopConfig(ramp_time_s=0.2, max_step_rad=1.0, min_command_interval_s=0.0,
                                         leader_timeout_s=0.05))


def test_ramp_track_hold_and_resume():
    arm = replay()
    t = 0.0
    arm.on_heartbeat(t)
    assert arm.tick(t) is None  # no follower pose yet: nothing moves
    arm.on_follower_state([0.5, 0.5], t)
    first = arm.tick(t)
    np.testing.assert_allclose(first.positions_rad, [0.5, 0.5])  # the ramp starts at the present pose
    for _ in range(30):  # 0.3 s: ramp done, tracking from episode time 0
        t += 0.01
        arm.on_heartbeat(t)
        arm.on_follower_state([0.5, 0.5], t)
        command = arm.tick(t)
    assert arm.session.phase.value == "tracking" and 0.0 < arm.episode_s < 0.15
    np.testing.assert_allclose(command.positions_rad, arm.actions.at(arm.episode_s - 0.01), atol=0.11)
    last_beat = t
    commands, clock = [], []
    for _ in range(80):  # the heartbeat stops; after heartbeat_timeout_s: one stop, then nothing
        t += 0.01
        arm.on_follower_state([0.5, 0.5], t)
        commands.append((t, arm.tick(t)))
        clock.append((t, arm.episode_s))
    stale = [c for at, c in commands if at - last_beat > 0.3 + 1e-9]
    sent = [c for c in stale if c is not None]
    assert len(sent) == 1 and sent[0].stop and all(c is not None and not c.stop for at, c in commands
                                                   if at - last_beat <= 0.3 - 1e-9)
    held = [s for at, s in clock if at - last_beat > 0.3 + 1e-9]
    assert len(set(held)) == 1  # the episode's clock stands still while the arm holds
    for _ in range(200):  # heartbeat back: ramp from the present pose again, then to the end
        t += 0.01
        arm.on_heartbeat(t)
        arm.on_follower_state([0.5, 0.5], t)
        arm.tick(t)
    assert arm.finished
