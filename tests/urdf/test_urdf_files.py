"""The URDFs in urdf/: they parse, name robot_node's joints with robot_node's limits, and their
forward kinematics match the published link lengths.

Expected positions come from the numbers in ../shared/reference/peers.md (section 6, copied below
with their source), chained here by hand with numpy, not read back from the URDF under test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yourdfpy

from lerobot_ros.description.robots import DESCRIPTIONS
from lerobot_ros.description.urdf import build
from lerobot_ros.robots.robot import joint_limits_rad
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.robots.sim_calibration import default_sim_calibration

REPO = Path(__file__).resolve().parents[2]
URDF_DIR = REPO / "urdf"
TYPES = sorted(DESCRIPTIONS)
PI = math.pi
TICK = 2 * PI / 4095  # one STS3215 / Dynamixel encoder step in rad


def load(type_name: str) -> yourdfpy.URDF:
    return yourdfpy.URDF.load(str(URDF_DIR / f"{type_name}.urdf"), load_meshes=False)


def pose(urdf: yourdfpy.URDF, **joints: float) -> yourdfpy.URDF:
    urdf.update_cfg({name: float(joints.get(name, 0.0)) for name in urdf.actuated_joint_names})
    return urdf


def position(urdf: yourdfpy.URDF, frame: str, root: str = "base_link") -> np.ndarray:
    return urdf.get_transform(frame, root)[:3, 3]


def transform(xyz, rpy) -> np.ndarray:
    """URDF origin: translation, then fixed-axis roll, pitch, yaw (R = Rz(y) Ry(p) Rx(r))."""
    r, p, y = rpy
    rx = np.array([[1, 0, 0], [0, math.cos(r), -math.sin(r)], [0, math.sin(r), math.cos(r)]])
    ry = np.array([[math.cos(p), 0, math.sin(p)], [0, 1, 0], [-math.sin(p), 0, math.cos(p)]])
    rz = np.array([[math.cos(y), -math.sin(y), 0], [math.sin(y), math.cos(y), 0], [0, 0, 1]])
    m = np.eye(4)
    m[:3, :3] = rz @ ry @ rx
    m[:3, 3] = xyz
    return m


def turn_z(angle: float) -> np.ndarray:
    return transform((0, 0, 0), (0, 0, angle))


# peers.md section 6, SO-101 (TheRobotStudio so101_new_calib.urdf): joint origins, all axes local +z.
SO101_CHAIN = [
    ("shoulder_pan", (0.02079, -0.02307, 0.09488), (-PI, 0, PI / 2)),
    ("shoulder_lift", (-0.03040, -0.01828, -0.0542), (-PI / 2, -PI / 2, 0)),
    ("elbow_flex", (-0.11257, -0.028, 0), (0, 0, PI / 2)),
    ("wrist_flex", (-0.1349, 0.0052, 0), (0, 0, -PI / 2)),
    ("wrist_roll", (0, -0.0611, 0.0181), (PI / 2, 0, PI)),
]
SO101_TCP = ((-0.0079, -0.00022, -0.09813), (PI / 2, 0, PI / 2))  # gripperframe on the gripper link


def so101_tool_by_hand(q: dict[str, float]) -> np.ndarray:
    m = np.eye(4)
    for name, xyz, rpy in SO101_CHAIN:
        m = m @ transform(xyz, rpy) @ turn_z(q.get(name, 0.0))
    return (m @ transform(*SO101_TCP))[:3, 3]


def actuated(urdf: yourdfpy.URDF) -> list[str]:
    """Joints that take a value from joint_states: movable and not mimicking another."""
    return [j.name for j in urdf.robot.joints if j.type != "fixed" and j.mimic is None]


def robot_node_joint_states(type_name: str) -> list[str]:
    """The names robot_node publishes on joint_states: the arm joints, then LeKiwi's wheels."""
    rtype = robot_type(type_name)
    return rtype.joint_names + (list(rtype.base.wheels) if rtype.base else [])


@pytest.mark.parametrize("type_name", TYPES)
def test_urdf_parses_and_is_the_generated_one(type_name):
    urdf = load(type_name)
    assert urdf.validate(), f"{type_name}.urdf does not validate"
    assert (URDF_DIR / f"{type_name}.urdf").read_text() == build(DESCRIPTIONS[type_name]()), (
        f"urdf/{type_name}.urdf differs from its description: run `python -m lerobot_ros.description urdf`")


def test_every_urdf_in_the_folder_has_a_description():
    assert sorted(p.stem for p in URDF_DIR.glob("*.urdf")) == TYPES


@pytest.mark.parametrize("type_name", TYPES)
def test_joint_names_are_robot_node_joint_states(type_name):
    assert sorted(actuated(load(type_name))) == sorted(robot_node_joint_states(type_name))  # order is free


@pytest.mark.parametrize("type_name", TYPES)
def test_limits_are_the_robot_table_limits(type_name):
    """Nominal table limits where the table has them (SO arms), else the full turn (+-pi) that the
    -100..100 joints of Koch and OMX get from LeRobot's widest calibration (0..4095)."""
    rtype = robot_type(type_name)
    joints = {j.name: j for j in load(type_name).robot.joints}
    for spec in rtype.joints:
        limit = joints[spec.name].limit
        expected = spec.limits_rad if spec.limits_rad is not None else (-PI, PI)
        assert (limit.lower, limit.upper) == pytest.approx(expected, abs=1e-12), spec.name
        assert joints[spec.name].type == "revolute"
    for wheel in rtype.base.wheels if rtype.base else ():
        assert joints[wheel].type == "continuous"


@pytest.mark.parametrize("type_name", TYPES)
def test_robot_node_with_a_fresh_calibration_stays_within_the_urdf_limits(type_name):
    """robot_node on the simulated arm never allows more than the URDF (within an encoder step or two:
    its calibration range is whole ticks), and the same for every joint whose calibrated range is
    centred like its nominal one. The SO gripper is not: its nominal -10..100 deg is lopsided while
    zero is the middle of the calibrated range, so robot_node allows less opening than the URDF."""
    rtype = robot_type(type_name)
    robot_limits = joint_limits_rad(rtype, default_sim_calibration(type_name))
    joints = {j.name: j for j in load(type_name).robot.joints}
    for spec, (lo, hi) in zip(rtype.joints, robot_limits):
        urdf_limit = joints[spec.name].limit
        assert urdf_limit.lower - 2 * TICK <= lo < hi <= urdf_limit.upper + 2 * TICK, spec.name
        if not spec.name.endswith("gripper"):
            assert (lo, hi) == pytest.approx((urdf_limit.lower, urdf_limit.upper), abs=2 * TICK), spec.name


@pytest.mark.parametrize("type_name", TYPES)
def test_tool_and_camera_frames(type_name):
    urdf = pose(load(type_name))
    prefix = "arm_" if type_name == "lekiwi" else ""
    assert f"{prefix}tool0" in urdf.link_map
    for camera in ("front", "wrist"):  # camera_node's default frame_id is <name>_optical_frame
        optical = urdf.get_transform(f"{camera}_optical_frame", "base_link")
        body = urdf.get_transform(f"{camera}_camera_link", "base_link")
        # REP-103: the optical frame looks along its z, which is the camera body's x; x right = body -y.
        np.testing.assert_allclose(optical[:3, 2], body[:3, 0], atol=1e-9)
        np.testing.assert_allclose(optical[:3, 0], -body[:3, 1], atol=1e-9)
        np.testing.assert_allclose(optical[:3, 1], -body[:3, 2], atol=1e-9)


@pytest.mark.parametrize("type_name", TYPES)
def test_links_with_geometry_have_mass_and_a_valid_inertia(type_name):
    """Every body but the root (KDL, in robot_state_publisher, ignores a root inertia and warns)."""
    for link in load(type_name).robot.links:
        if link.name == "base_link":
            assert link.inertial is None
            continue
        if not link.collisions:
            continue
        assert link.inertial is not None and link.inertial.mass > 0, link.name
        eigenvalues = np.linalg.eigvalsh(link.inertial.inertia)
        assert np.all(eigenvalues > 0), link.name
        a, b, c = sorted(eigenvalues)
        assert c <= a + b + 1e-12, f"{link.name}: inertia violates the triangle inequality"


# -- forward kinematics ----------------------------------------------------------------------------

SO_POSES = [
    {},
    {"shoulder_pan": 0.7, "shoulder_lift": -0.9, "elbow_flex": 1.2, "wrist_flex": 0.5, "wrist_roll": 1.0},
    {"shoulder_pan": -1.5, "shoulder_lift": 1.2, "elbow_flex": -1.4, "wrist_flex": -1.0, "wrist_roll": -2.0},
]


@pytest.mark.parametrize("type_name", ["so101_follower", "so100_follower"])
@pytest.mark.parametrize("q", SO_POSES, ids=["zero", "pose1", "pose2"])
def test_so_arm_tool_position_matches_the_published_chain(type_name, q):
    urdf = pose(load(type_name), **q)
    np.testing.assert_allclose(position(urdf, "tool0"), so101_tool_by_hand(q), atol=1e-6)


def test_so101_zero_pose_by_hand():
    """Zero (middle of every range): the tool 0.376 m out along -y and 0.259 m up. Worked by hand from
    the table: pan axis at z 0.0949; lift +0.0542; upper arm 0.1126 up; forearm 0.1349 along -y;
    wrist roll 0.0611 along -y; jaws 0.098 further (-0.0079 m height drop across the last frames)."""
    urdf = pose(load("so101_follower"))
    np.testing.assert_allclose(position(urdf, "tool0"), (0.0204, -0.3756, 0.2589), atol=2e-4)
    np.testing.assert_allclose(position(urdf, "upper_arm_link"), (0.0025, -0.0535, 0.1491), atol=2e-4)


# Effective segment lengths: (joint frame, next joint frame, metres), from peers.md section 6; OMX
# from ROBOTIS open_manipulator omx_f.urdf (joint3 at 0.0415/0.11315 from joint2, joint4 0.162 on).
SEGMENTS = {
    "so101_follower": [("upper_arm_link", "lower_arm_link", 0.1160), ("lower_arm_link", "wrist_link", 0.1350)],
    "so100_follower": [("upper_arm_link", "lower_arm_link", 0.1160), ("lower_arm_link", "wrist_link", 0.1350)],
    "lekiwi": [("arm_upper_arm_link", "arm_lower_arm_link", 0.1160), ("arm_lower_arm_link", "arm_wrist_link", 0.1350)],
    "koch_follower": [("upper_arm_link", "lower_arm_link", 0.1159), ("lower_arm_link", "wrist_link", 0.1005)],
    "omx_follower": [("upper_arm_link", "lower_arm_link", 0.1205), ("lower_arm_link", "wrist_link", 0.1620)],
}


@pytest.mark.parametrize("type_name", TYPES)
def test_segment_lengths_hold_in_every_pose(type_name):
    urdf = load(type_name)
    rng = np.random.default_rng(7)
    joints = {j.name: j for j in urdf.robot.joints}
    for _ in range(5):
        q = {n: rng.uniform(joints[n].limit.lower, joints[n].limit.upper) for n in actuated(urdf)
             if joints[n].type == "revolute"}
        pose(urdf, **q)
        for a, b, length in SEGMENTS[type_name]:
            assert np.linalg.norm(position(urdf, b) - position(urdf, a)) == pytest.approx(length, abs=5e-4)


@pytest.mark.parametrize("type_name", TYPES)
def test_turning_shoulder_pan_turns_the_tool_about_the_pan_axis(type_name):
    prefix = "arm_" if type_name == "lekiwi" else ""
    urdf = pose(load(type_name))
    pan = next(j for j in urdf.robot.joints if j.name == f"{prefix}shoulder_pan")
    frame = urdf.get_transform(pan.child, "base_link")
    axis, origin = frame[:3, :3] @ pan.axis, frame[:3, 3]
    before = position(urdf, f"{prefix}tool0") - origin
    pose(urdf, **{f"{prefix}shoulder_pan": 0.5})
    after = position(urdf, f"{prefix}tool0") - origin
    # Rodrigues: the tool turned 0.5 rad about the pan axis through the pan joint.
    k = axis / np.linalg.norm(axis)
    expected = (before * math.cos(0.5) + np.cross(k, before) * math.sin(0.5)
                + k * np.dot(k, before) * (1 - math.cos(0.5)))
    np.testing.assert_allclose(after, expected, atol=1e-9)


def test_koch_and_omx_joint_axes_are_the_published_ones():
    published = {
        "koch_follower": [(0, 0, -1), (-1, 0, 0), (1, 0, 0), (1, 0, 0), (0, 0, -1), (0, -1, 0)],
        "omx_follower": [(0, 0, 1), (0, 1, 0), (0, 1, 0), (0, 1, 0), (1, 0, 0), (0, 0, 1)],
    }
    for type_name, axes in published.items():
        joints = {j.name: j for j in load(type_name).robot.joints}
        for name, axis in zip(robot_type(type_name).joint_names, axes):
            np.testing.assert_allclose(joints[name].axis, axis, err_msg=f"{type_name} {name}")


def test_lekiwi_wheels_sit_where_lerobot_kinematics_puts_them():
    """LeRobot: wheel i's speed is cos(a)x + sin(a)y + 0.125 theta with a = (240, 0, 120) - 90 deg,
    wheel radius 0.05. So wheel i sits 0.125 m out at a - 90 deg (where its rolling direction is the
    counter-clockwise tangent), axle at wheel height, and turning it forwards drives the base along
    (cos a, sin a)."""
    urdf = pose(load("lekiwi"))
    by_hand = {"base_left_wheel": (0.0625, 0.108253), "base_back_wheel": (-0.125, 0.0),
               "base_right_wheel": (0.0625, -0.108253)}
    for (wheel, xy), lerobot_deg in zip(by_hand.items(), (240.0, 0.0, 120.0)):
        joint = next(j for j in urdf.robot.joints if j.name == wheel)
        frame = urdf.get_transform(joint.child, "base_link")
        np.testing.assert_allclose(frame[:3, 3], (*xy, 0.05), atol=1e-6)
        axle = frame[:3, :3] @ joint.axis
        a = math.radians(lerobot_deg - 90.0)
        # Spinning at +1 rad/s about the axle, the ground contact (0.05 m below) moves at axle x (-0.05 z);
        # the wheel, and the base with it, moves the opposite way.
        drive = -np.cross(axle, (0.0, 0.0, -0.05))
        np.testing.assert_allclose(drive, (0.05 * math.cos(a), 0.05 * math.sin(a), 0.0), atol=1e-9)


def test_lekiwi_arm_is_the_so101_arm_on_the_base():
    lekiwi = pose(load("lekiwi"))
    so101 = pose(load("so101_follower"))
    mount = lekiwi.get_transform("arm_base_link", "base_link")
    tool_on_base = mount @ so101.get_transform("tool0", "base_link")
    np.testing.assert_allclose(lekiwi.get_transform("arm_tool0", "base_link"), tool_on_base, atol=1e-9)
    assert tool_on_base[0, 3] > 0.3, "the arm should reach forwards (+x, REP-103)"
