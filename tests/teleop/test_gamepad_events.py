"""Gamepad teleop fed real SDL joystick events through pygame's event queue (dummy video driver),
read by the same PygameGamepad -> GamepadTeleop path gamepad_node runs."""

from __future__ import annotations

import pytest

from lerobot_ros.robots.omni_base import BodyVelocity
from lerobot_ros.teleop.base_drive import BaseDrive, BaseDriveConfig
from lerobot_ros.teleop.gamepad import ARM, BASE, Control, GamepadMapping, GamepadTeleop, PygameGamepad
from lerobot_ros.teleop.jog import JogConfig, JogController, arm_joints

DT = 0.02
LB, START, A, Y = 4, 7, 0, 3


@pytest.fixture
def pad():
    gamepad = PygameGamepad()
    gamepad.pygame.event.clear()
    yield gamepad
    gamepad.close()


def post(pad: PygameGamepad, kind: str, instance_id: int = 0, **fields) -> None:
    pg = pad.pygame
    event_type = {"axis": pg.JOYAXISMOTION, "down": pg.JOYBUTTONDOWN, "up": pg.JOYBUTTONUP,
                  "hat": pg.JOYHATMOTION, "removed": pg.JOYDEVICEREMOVED}[kind]
    pg.event.post(pg.event.Event(event_type, instance_id=instance_id, joy=instance_id, **fields))


def teleop_for(robot_type: str, mode: str) -> GamepadTeleop:
    names, limits = arm_joints(robot_type)
    jog = JogController(names, limits, JogConfig(max_joint_speed_rad_s=0.5, max_step_rad=0.1))
    base = BaseDrive(BaseDriveConfig(0.2, 1.0)) if robot_type == "lekiwi" else None
    return GamepadTeleop(GamepadMapping.xbox(), jog, base, mode)


def step(pad, teleop, present):
    return teleop.update(pad.poll(), present, DT)


SO101 = {n: 0.0 for n in arm_joints("so101_follower")[0]}


def test_sticks_jog_only_while_the_deadman_is_held(pad):
    teleop = teleop_for("so101_follower", ARM)
    post(pad, "axis", axis=0, value=-1.0)  # left stick full left
    assert step(pad, teleop, SO101).jog is None  # no deadman: nothing
    post(pad, "down", button=LB)
    out = step(pad, teleop, SO101)
    assert out.jog.joint_names == ("shoulder_pan",)
    assert out.jog.positions_rad == pytest.approx((0.5 * DT,))  # -axis:0: left is positive pan
    post(pad, "axis", axis=1, value=-0.55)  # left stick half up (deadzone 0.1 rescaled: 0.5)
    out = step(pad, teleop, SO101)
    assert out.jog.joint_names == ("shoulder_pan", "shoulder_lift")
    assert out.jog.positions_rad == pytest.approx((2 * 0.5 * DT, 0.5 * 0.5 * DT))
    post(pad, "up", button=LB)
    out = step(pad, teleop, SO101)
    assert out.jog.stop and out.jog.positions_rad == (0.0, 0.0)  # frozen at the present pose
    assert step(pad, teleop, SO101).jog is None


def test_deadzone_hat_and_button_pairs(pad):
    teleop = teleop_for("so101_follower", ARM)
    post(pad, "down", button=LB)
    post(pad, "axis", axis=4, value=0.08)  # right stick y within the deadzone
    assert step(pad, teleop, SO101).jog is None
    post(pad, "hat", hat=0, value=(0, 1))  # D-pad up: wrist_flex +
    post(pad, "down", button=A)  # A: gripper -
    out = step(pad, teleop, SO101)
    assert dict(zip(out.jog.joint_names, out.jog.positions_rad)) == pytest.approx(
        {"wrist_flex": 0.5 * DT, "gripper": -0.5 * DT})


def test_lekiwi_mode_button_switches_between_arm_and_base(pad):
    teleop = teleop_for("lekiwi", BASE)
    present = {n: 0.0 for n in arm_joints("lekiwi")[0]}
    post(pad, "down", button=LB)
    post(pad, "axis", axis=1, value=-1.0)  # left stick up: forward
    out = step(pad, teleop, present)
    assert out.base == pytest.approx(BodyVelocity(0.2, 0.0, 0.0)) and out.jog is None
    post(pad, "down", button=START)
    post(pad, "up", button=START)  # a press shorter than a tick still counts
    out = step(pad, teleop, present)
    assert teleop.mode == ARM
    assert out.base == (0.0, 0.0, 0.0)  # switching away stops the base
    assert out.jog.joint_names == ("arm_shoulder_lift",)
    post(pad, "axis", axis=1, value=0.0)
    post(pad, "axis", axis=3, value=-1.0)  # right stick left
    assert step(pad, teleop, present).jog.joint_names == ("arm_shoulder_lift", "arm_wrist_roll")
    post(pad, "down", button=START)
    out = step(pad, teleop, present)
    assert teleop.mode == BASE and out.jog.stop and out.base == pytest.approx((0.0, 0.0, 1.0))


def test_an_unplugged_pad_stops_the_motion(pad):
    teleop = teleop_for("lekiwi", BASE)
    post(pad, "down", button=LB, instance_id=3)
    post(pad, "axis", axis=0, value=1.0, instance_id=3)  # left stick right: drive right (-y)
    assert step(pad, teleop, None).base == pytest.approx((0.0, -0.2, 0.0))
    post(pad, "removed", instance_id=3)
    out = step(pad, teleop, None)
    assert out.base == (0.0, 0.0, 0.0) and pad.poll() is None


def test_joy_layout_appends_hats_as_axes(pad):
    post(pad, "axis", axis=2, value=0.5)
    post(pad, "hat", hat=0, value=(-1, 1))
    post(pad, "down", button=1)
    state = pad.poll()
    assert state.joy_axes() == [0.0, 0.0, 0.5, -1.0, 1.0] and state.buttons == [0, 1]


@pytest.mark.parametrize("spec", ["axis", "axis:x", "hat:0:z", "-buttons:1:2", "stick:1"])
def test_bad_control_specs_are_named(spec):
    with pytest.raises(ValueError, match="is not one of axis:N"):
        Control.parse(spec)


def test_mode_without_the_part_is_refused():
    names, limits = arm_joints("so101_follower")
    with pytest.raises(ValueError, match="this robot has no base"):
        GamepadTeleop(GamepadMapping.xbox(), JogController(names, limits), None, BASE)
