"""/diagnostics levels decided without ROS (lerobot_ros.health and each component's health function)."""

from __future__ import annotations

from lerobot_ros.health import Health, Level, first_problem
from lerobot_ros.robots.driver import DriverStatus
from lerobot_ros.robots.health import bus_health, motor_health
from lerobot_ros.runtime.health import STALE_ERROR_S, runtime_health
from lerobot_ros.teleop.health import leader_health, stream_health
from lerobot_ros.teleop.teleop_session import Phase, TeleopStatus


def test_the_first_problem_present_is_reported_else_ok():
    assert first_problem((False, Level.ERROR, "a"), (True, Level.WARN, "b"), (True, Level.ERROR, "c")) == \
        Health(Level.WARN, "b")
    assert first_problem((False, Level.ERROR, "a"), ok="running") == Health(Level.OK, "running")


def test_robot_bus_and_motor_levels():
    assert bus_health(DriverStatus()) == Health(Level.OK, "ok")
    assert bus_health(DriverStatus(read_failures=2, last_error="timeout on id 3")) == \
        Health(Level.WARN, "communication errors; last: timeout on id 3")
    assert bus_health(DriverStatus(read_failures=9, faulted=True, last_error="timeout on id 3")) == \
        Health(Level.ERROR, "not answering: timeout on id 3")
    assert motor_health([]) == Health(Level.OK, "ok")
    assert motor_health(["overheating", "overload"]) == Health(Level.WARN, "overheating, overload")


def test_teleop_leader_and_stream_levels():
    tracking = TeleopStatus(phase=Phase.TRACKING)
    assert leader_health(tracking, "leader so101_leader", "/dev/ttyACM1") == Health(Level.OK, "ok")
    lost = TeleopStatus(phase=Phase.FAULTED, leader_failures=5, last_error="no reply")
    assert leader_health(lost, "leader so101_leader", "/dev/ttyACM1") == Health(
        Level.ERROR, "leader so101_leader on /dev/ttyACM1 not answering (no reply); follower stopped and holding")
    assert leader_health(TeleopStatus(phase=Phase.TRACKING, leader_failures=1, last_error="crc"), "leader x", "p") == \
        Health(Level.WARN, "leader x: communication errors; last: crc")
    assert stream_health(TeleopStatus(), "leader x", "joint_states") == \
        Health(Level.WARN, "waiting for the follower's joint_states")
    assert stream_health(lost, "leader x", "joint_states") == Health(Level.ERROR, "leader x lost; follower holding")
    assert stream_health(tracking, "leader x", "joint_states") == Health(Level.OK, "tracking")


def test_policy_runtime_levels_worst_first():
    ok = runtime_health("running", None, [], 0.0, False, None)
    assert ok == Health(Level.OK, "running")
    stale = ["observation.images.front from /front/image_raw is stale (nothing received yet, max_age_s 0.5)"]
    assert runtime_health("running", None, stale, 0.2, True, None) == Health(Level.WARN, stale[0] + ": the arm holds")
    assert runtime_health("running", None, stale, STALE_ERROR_S + 0.1, True, None).level is Level.ERROR
    assert runtime_health("running", None, [], 0.0, True, "x") == Health(Level.WARN, "operator heartbeat stale: the arm holds")
    assert runtime_health("running", None, [], 0.0, False, "<say>") == Health(Level.WARN, "rejected generated text: <say>")
    assert runtime_health("stopped", RuntimeError("boom"), stale, 5.0, True, "x") == Health(Level.ERROR, "model failed: boom")
