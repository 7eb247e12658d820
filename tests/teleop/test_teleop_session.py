"""TeleopSession's safety rules, clocked explicitly: ramp without a jump, bounded steps and rate,
hold on a silent leader, re-ramp when it comes back."""

from __future__ import annotations

import numpy as np
import pytest

from lerobot_ros.teleop.teleop_session import Phase, TeleopConfig, TeleopSession

NAMES = ["a", "b", "c"]
LIMITS = np.array([[-2.0, 2.0], [-2.0, 2.0], [-0.5, 0.5]])
PERIOD = 0.01
CONFIG = TeleopConfig(ramp_time_s=1.0, max_step_rad=0.05, min_command_interval_s=0.005, leader_timeout_s=0.1,
                      follower_timeout_s=0.5)


def _session(config: TeleopConfig = CONFIG) -> TeleopSession:
    return TeleopSession(NAMES, LIMITS, config)


def _run(session, leader, follower, t0, seconds):
    """Ticks at 100 Hz with a constant leader pose and a follower reporting ``follower``; the commands."""
    commands = []
    for k in range(int(round(seconds / PERIOD))):
        now = t0 + k * PERIOD
        session.on_follower_state(follower, now)
        command = session.on_leader(leader, now)
        if command is not None:
            commands.append(command.positions_rad)
    return np.array(commands)


def test_nothing_is_commanded_before_the_follower_pose_is_known():
    session = _session()
    assert session.on_leader([1.0, 1.0, 0.0], 0.0) is None
    assert session.phase is Phase.WAITING


def test_ramp_starts_at_the_follower_pose_and_approaches_the_leader_monotonically():
    follower, leader = np.array([0.3, -0.2, 0.1]), np.array([-0.5, 0.6, 0.3])
    commands = _run(_session(), leader, follower, 0.0, 1.5)
    np.testing.assert_array_equal(commands[0], follower)  # no jump: the first command is where it is
    distance = np.abs(commands - leader)
    assert np.all(np.diff(distance, axis=0) <= 1e-12), "the ramp moved away from the leader"
    assert np.all(np.abs(np.diff(commands, axis=0)) <= CONFIG.max_step_rad + 1e-12)
    np.testing.assert_allclose(commands[-1], leader)  # tracking after ramp_time_s


def test_ramp_is_slow_at_both_ends():
    commands = _run(_session(), np.array([1.0, 0.0, 0.0]), np.zeros(3), 0.0, 1.2)
    steps = np.abs(np.diff(commands[:, 0]))
    assert steps[0] < 0.001 and steps[98] < 0.001 and steps.max() == pytest.approx(0.015, rel=0.01)


def test_steps_are_bounded_while_tracking_and_counted():
    session = _session(TeleopConfig(ramp_time_s=0.0, max_step_rad=0.05))
    session.on_follower_state(np.zeros(3), 0.0)
    first = session.on_leader(np.zeros(3), 0.0).positions_rad
    np.testing.assert_array_equal(first, np.zeros(3))
    jumped = session.on_leader(np.array([1.0, -1.0, 0.02]), PERIOD).positions_rad  # the leader jumped
    np.testing.assert_allclose(jumped, [0.05, -0.05, 0.02])
    assert session.status.clamped_steps == 1


def test_commands_are_rate_limited_and_clamped_to_the_follower_limits():
    session = _session(TeleopConfig(ramp_time_s=0.0, max_step_rad=5.0, min_command_interval_s=0.005))
    session.on_follower_state(np.zeros(3), 0.0)
    assert session.on_leader(np.array([0.0, 0.0, 3.0]), 0.0).positions_rad[2] == 0.5
    assert session.on_leader(np.zeros(3), 0.001) is None  # a catch-up tick right after: dropped
    assert session.on_leader(np.zeros(3), 0.006) is not None


def test_silent_leader_stops_the_follower_once_then_ramps_back_from_its_present_pose():
    session = _session()
    follower = np.array([0.1, 0.1, 0.1])
    _run(session, np.array([0.4, 0.4, 0.4]), follower, 0.0, 1.5)
    assert session.phase is Phase.TRACKING
    t = 1.5
    # Failed reads shorter than leader_timeout_s: nothing is sent (the follower holds its last point).
    assert session.on_leader_failure("no reply", t) is None
    assert session.on_leader_failure("no reply", t + 0.05) is None
    assert session.phase is Phase.TRACKING
    stop = session.on_leader_failure("no reply", t + 0.11)
    assert stop is not None and stop.stop and session.phase is Phase.FAULTED
    assert session.on_leader_failure("no reply", t + 0.2) is None  # one stop, not a stream of them
    assert session.status.stops_sent == 1 and session.status.leader_faults == 1
    assert session.status.last_error == "no reply"
    # The follower was moved meanwhile; the leader is back somewhere else: ramp from where the follower is.
    moved = np.array([-0.3, 0.2, 0.0])
    commands = _run(session, np.array([0.5, -0.5, 0.2]), moved, t + 1.0, 1.2)
    np.testing.assert_array_equal(commands[0], moved)
    assert np.all(np.abs(np.diff(commands, axis=0)) <= CONFIG.max_step_rad + 1e-12)
    np.testing.assert_allclose(commands[-1], [0.5, -0.5, 0.2])


def test_a_leader_that_never_answered_faults_without_sending_a_stop():
    session = _session()
    assert session.on_leader_failure("port gone", 0.0) is None
    assert session.on_leader_failure("port gone", 0.2) is None
    assert session.phase is Phase.FAULTED and session.status.stops_sent == 0


def test_silent_follower_pauses_and_the_stream_ramps_again_from_its_report():
    session = _session()
    _run(session, np.ones(3) * 0.3, np.zeros(3), 0.0, 1.5)
    assert session.on_leader(np.ones(3) * 0.3, 1.5 + 0.6) is None  # follower joint_states 0.61 s old
    assert session.phase is Phase.WAITING
    session.on_follower_state(np.array([0.2, 0.25, 0.3]), 2.2)
    np.testing.assert_array_equal(session.on_leader(np.ones(3) * 0.3, 2.2).positions_rad, [0.2, 0.25, 0.3])
    assert session.phase is Phase.RAMPING


def test_config_refuses_nonsense():
    with pytest.raises(ValueError, match="max_step_rad"):
        TeleopConfig(max_step_rad=0.0)
    with pytest.raises(ValueError, match="limits_rad"):
        TeleopSession(NAMES, np.zeros((2, 2)))
