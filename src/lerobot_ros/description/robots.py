"""The kinematics of every robot with a URDF in urdf/, as data (sources in docs/integration.md).

* SO-101: TheRobotStudio SO-ARM100 ``Simulation/SO101/so101_new_calib.urdf`` joint origins and
  axes (all local +z), zero at the middle of each range, as LeRobot calibrates and robot_node reads.
* SO-100: the same chain (mechanically identical; the same 0.11257/0.028 and 0.1349 offsets). Its
  published URDF has the old extended-arm zero; ours uses the calibrated middle-of-range zero that
  robot_node publishes for it, so the SO-101 geometry applies as is.
* Koch v1.1: ManiSkill's ``follower_arm_v1.1_simplified.urdf`` origins and axes. Its gripper pivot
  is not documented there: it sits at the wrist_roll frame here.
* OMX: ROBOTIS open_manipulator ``omx_f.urdf`` origins and axes, its two jaws as one joint and a
  mimic.
* LeKiwi: LeRobot's base geometry (wheel radius, centre-to-wheel distance, wheel angles from the
  robot table) and an SO-101 arm with ``arm_`` names on the front of the base.

Koch and OMX joints have no nominal limits in the tables: their URDF limits are the full turn that
robot_node allows with the widest calibration (see :func:`lerobot_ros.description.urdf.table_limits`).
Camera mounts are approximate: they give RViz and camera_node's ``<name>_optical_frame`` a place.
"""

from __future__ import annotations

import math

from ..robots.tables import robot_type
from .urdf import Camera, Description, Joint, Shape

PI = math.pi


def so_arm_joints(prefix: str = "", base: str = "base_link") -> list[Joint]:
    """The SO-100/SO-101 chain: ``<prefix>shoulder_pan`` ... ``<prefix>gripper``, ``<prefix>tool0``."""
    p = prefix
    return [
        Joint(f"{p}shoulder_pan", base, f"{p}shoulder_link", (0.02079, -0.02307, 0.09488), (-PI, 0, PI / 2)),
        Joint(f"{p}shoulder_lift", f"{p}shoulder_link", f"{p}upper_arm_link", (-0.0304, -0.01828, -0.0542),
              (-PI / 2, -PI / 2, 0)),
        Joint(f"{p}elbow_flex", f"{p}upper_arm_link", f"{p}lower_arm_link", (-0.11257, -0.028, 0), (0, 0, PI / 2)),
        Joint(f"{p}wrist_flex", f"{p}lower_arm_link", f"{p}wrist_link", (-0.1349, 0.0052, 0), (0, 0, -PI / 2)),
        Joint(f"{p}wrist_roll", f"{p}wrist_link", f"{p}gripper_link", (0, -0.0611, 0.0181), (PI / 2, 0, PI)),
        Joint(f"{p}gripper", f"{p}gripper_link", f"{p}moving_jaw_link", (0.0202, 0.0188, -0.0234), (PI / 2, 0, 0)),
        Joint(f"{p}tool0_joint", f"{p}gripper_link", f"{p}tool0", (-0.0079, -0.00022, -0.09813), (PI / 2, 0, PI / 2),
              kind="fixed"),
    ]


def so_arm_masses(prefix: str = "", base: str = "base_link") -> dict[str, float]:
    p = prefix
    return {base: 0.147, f"{p}shoulder_link": 0.100, f"{p}upper_arm_link": 0.103, f"{p}lower_arm_link": 0.104,
            f"{p}wrist_link": 0.079, f"{p}gripper_link": 0.087, f"{p}moving_jaw_link": 0.012}


# The SO arm reaches along -y of its base_link at zero: the front camera looks back at it from there.
SO_FRONT_CAMERA = Camera("front", "base_link", (0.0, -0.45, 0.30), (0.0, 0.55, PI / 2))
# The gripper points along -z of gripper_link: the wrist camera sits behind the jaws, looking that way.
SO_WRIST_CAMERA = Camera("wrist", "gripper_link", (0.0, -0.035, -0.02), (0.0, PI / 2, 0.0))


def so_arm(name: str, type_name: str) -> Description:
    return Description(
        name=name, robot_type=robot_type(type_name), root="base_link", joints=so_arm_joints(),
        masses=so_arm_masses(), leaf_boxes={"moving_jaw_link": (0.012, 0.012, 0.06)},
        shapes=[Shape("base_link", "box", (0.08, 0.08, 0.04), (0.02, -0.02, 0.02), mass=0.0)],
        cameras=[SO_FRONT_CAMERA, SO_WRIST_CAMERA])


def koch() -> Description:
    joints = [
        Joint("shoulder_pan", "base_link", "shoulder_link", (0, -0.01186, 0.02007), axis=(0, 0, -1)),
        Joint("shoulder_lift", "shoulder_link", "upper_arm_link", (0.02071, 0, 0.01537), axis=(-1, 0, 0)),
        Joint("elbow_flex", "upper_arm_link", "lower_arm_link", (-0.03803, -0.01495, 0.10842), axis=(1, 0, 0)),
        Joint("wrist_flex", "lower_arm_link", "wrist_link", (-0.00025, -0.1005, 0.00264), axis=(1, 0, 0)),
        Joint("wrist_roll", "wrist_link", "gripper_link", (0.01923, 0.00037, -0.04478), axis=(0, 0, -1)),
        Joint("gripper", "gripper_link", "moving_jaw_link", axis=(0, -1, 0)),
        Joint("tool0_joint", "gripper_link", "tool0", (-0.008, 0, -0.065), kind="fixed"),
    ]
    masses = {"base_link": 0.12, "shoulder_link": 0.08, "upper_arm_link": 0.07, "lower_arm_link": 0.05,
              "wrist_link": 0.04, "gripper_link": 0.04, "moving_jaw_link": 0.01}
    return Description(
        name="koch", robot_type=robot_type("koch_follower"), root="base_link", joints=joints, masses=masses,
        link_radius=0.015, leaf_boxes={"moving_jaw_link": (0.01, 0.01, 0.05)},
        shapes=[Shape("base_link", "box", (0.06, 0.06, 0.02), (0, -0.01, 0.01), mass=0.0)],
        cameras=[Camera("front", "base_link", (0.0, -0.40, 0.28), (0.0, 0.55, PI / 2)),
                 Camera("wrist", "gripper_link", (0.0, 0.03, -0.02), (0.0, PI / 2, 0.0))])


def omx() -> Description:
    joints = [
        Joint("shoulder_pan", "base_link", "shoulder_link", (-0.01125, 0, 0.034)),
        Joint("shoulder_lift", "shoulder_link", "upper_arm_link", (0, 0, 0.0635), axis=(0, 1, 0)),
        Joint("elbow_flex", "upper_arm_link", "lower_arm_link", (0.0415, 0, 0.11315), axis=(0, 1, 0)),
        Joint("wrist_flex", "lower_arm_link", "wrist_link", (0.162, 0, 0), axis=(0, 1, 0)),
        Joint("wrist_roll", "wrist_link", "gripper_link", (0.0287, 0, 0), axis=(1, 0, 0)),
        Joint("gripper", "gripper_link", "moving_jaw_link", (0.0295, 0.0075, 0)),
        Joint("gripper_mirror", "gripper_link", "moving_jaw_mirror_link", (0.0295, -0.0108, 0),
              mimic=("gripper", -1.0)),
        Joint("tool0_joint", "gripper_link", "tool0", (0.09193, -0.0016, 0), kind="fixed"),
    ]
    masses = {"base_link": 0.224, "shoulder_link": 0.066, "upper_arm_link": 0.087, "lower_arm_link": 0.084,
              "wrist_link": 0.030, "gripper_link": 0.044, "moving_jaw_link": 0.012, "moving_jaw_mirror_link": 0.012}
    jaw = (0.05, 0.008, 0.012)
    return Description(
        name="omx", robot_type=robot_type("omx_follower"), root="base_link", joints=joints, masses=masses,
        link_radius=0.016, leaf_boxes={"moving_jaw_link": jaw, "moving_jaw_mirror_link": jaw},
        shapes=[Shape("base_link", "box", (0.08, 0.06, 0.03), (-0.01, 0, 0.015), mass=0.0)],
        cameras=[Camera("front", "base_link", (0.45, 0.0, 0.30), (0.0, 0.55, PI)),
                 Camera("wrist", "gripper_link", (0.02, 0.0, 0.035), (0.0, 0.0, 0.0))])


LEKIWI_ARM_MOUNT = ((0.06, 0.0, 0.13), (0.0, 0.0, PI / 2))  # on the front of the top plate, reaching +x
LEKIWI_BODY_HEIGHT = 0.13


def lekiwi() -> Description:
    rtype = robot_type("lekiwi")
    base = rtype.base
    joints = [Joint("arm_mount_joint", "base_link", "arm_base_link", *LEKIWI_ARM_MOUNT, kind="fixed")]
    shapes = [Shape("base_link", "cylinder", (base.base_radius_m - 0.015, LEKIWI_BODY_HEIGHT - base.wheel_radius_m),
                    (0, 0, (LEKIWI_BODY_HEIGHT + base.wheel_radius_m) / 2), mass=1.2)]
    for wheel, angle_deg in zip(base.wheels, base.wheel_angles_deg):
        # Wheel i rolls along (cos a, sin a) and turns the base counter-clockwise at +base_radius * theta,
        # so it sits where that direction is the tangent: at a - 90 deg, its axle pointing inwards.
        phi = math.radians(angle_deg - 90.0)
        xyz = (base.base_radius_m * math.cos(phi), base.base_radius_m * math.sin(phi), base.wheel_radius_m)
        joints.append(Joint(wheel, "base_link", f"{wheel}_link", xyz, (0, 0, phi), axis=(-1, 0, 0),
                            kind="continuous"))
        shapes.append(Shape(f"{wheel}_link", "cylinder", (base.wheel_radius_m, 0.03), rpy=(0, PI / 2, 0), mass=0.15))
    joints += so_arm_joints("arm_", "arm_base_link")
    masses = so_arm_masses("arm_", "arm_base_link")
    return Description(
        name="lekiwi", robot_type=rtype, root="base_link", joints=joints, masses=masses,
        leaf_boxes={"arm_moving_jaw_link": (0.012, 0.012, 0.06)},
        shapes=[*shapes, Shape("arm_base_link", "box", (0.08, 0.08, 0.04), (0.02, -0.02, 0.02), mass=0.0)],
        cameras=[Camera("front", "base_link", (0.11, 0.0, 0.09), (0.0, 0.35, 0.0)),
                 Camera("wrist", "arm_gripper_link", (0.0, -0.035, -0.02), (0.0, PI / 2, 0.0))])


# robot_type -> its description; urdf/<robot_type>.urdf is the URDF robot_node's joint_states fit.
DESCRIPTIONS = {
    "so101_follower": lambda: so_arm("so101", "so101_follower"),
    "so100_follower": lambda: so_arm("so100", "so100_follower"),
    "koch_follower": koch,
    "omx_follower": omx,
    "lekiwi": lekiwi,
}
