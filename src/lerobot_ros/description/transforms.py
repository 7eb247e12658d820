"""The transforms robot_state_publisher would broadcast for a pose, from our URDFs, for bags.

``lerobot-ros export --tf`` writes ``/tf`` (one transform per moving joint, every frame) and
``/tf_static`` (the fixed joints: tool0, camera links and optical frames, once), so a bag shows the
arm in RViz or Foxglove without a robot_state_publisher running. A joint's transform is its URDF
origin (xyz, roll-pitch-yaw about fixed axes) followed by the rotation of its angle about its axis.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .robots import DESCRIPTIONS
from .urdf import build

Quaternion = tuple[float, float, float, float]  # x, y, z, w


@dataclass(frozen=True)
class UrdfJoint:
    name: str
    kind: str  # revolute, continuous, fixed
    parent: str
    child: str
    xyz: tuple[float, float, float]
    origin: Quaternion  # the origin's rotation
    axis: tuple[float, float, float]
    mimic: tuple[str, float] | None  # (joint, multiplier)


def urdf_joints(robot_type: str) -> list[UrdfJoint]:
    """The joints of the robot's URDF (the one in urdf/, generated from its description)."""
    if robot_type not in DESCRIPTIONS:
        raise ValueError(f"no URDF for {robot_type}; there are URDFs for {', '.join(sorted(DESCRIPTIONS))}")
    joints = []
    for element in ET.fromstring(build(DESCRIPTIONS[robot_type]())).findall("joint"):
        origin = element.find("origin")
        xyz = _floats(origin.get("xyz") if origin is not None else None)
        rpy = _floats(origin.get("rpy") if origin is not None else None)
        axis = element.find("axis")
        mimic = element.find("mimic")
        joints.append(UrdfJoint(
            element.get("name"), element.get("type"), element.find("parent").get("link"),
            element.find("child").get("link"), xyz, quaternion_from_rpy(*rpy),
            _floats(axis.get("xyz")) if axis is not None else (1.0, 0.0, 0.0),
            (mimic.get("joint"), float(mimic.get("multiplier", "1"))) if mimic is not None else None))
    return joints


def _floats(text: str | None) -> tuple[float, float, float]:
    return tuple(float(v) for v in text.split()) if text else (0.0, 0.0, 0.0)


def quaternion_from_rpy(roll: float, pitch: float, yaw: float) -> Quaternion:
    """URDF's rpy: R = Rz(yaw) Ry(pitch) Rx(roll)."""
    cr, sr = math.cos(roll / 2), math.sin(roll / 2)
    cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
    cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
    return (sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy,
            cr * cp * cy + sr * sp * sy)


def quaternion_about(axis, angle: float) -> Quaternion:
    x, y, z = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    s = math.sin(angle / 2)
    return (x * s, y * s, z * s, math.cos(angle / 2))


def multiply(a: Quaternion, b: Quaternion) -> Quaternion:
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz)


def joint_transforms(joints: list[UrdfJoint], positions: Mapping[str, float]) -> list[tuple[UrdfJoint, Quaternion]]:
    """(joint, rotation parent -> child) of every moving joint at ``positions`` (radians by joint
    name; a mimic joint follows its leader; a joint missing from ``positions`` is left out)."""
    out = []
    for joint in joints:
        if joint.kind == "fixed":
            continue
        leader, factor = joint.mimic if joint.mimic else (joint.name, 1.0)
        if leader not in positions:
            continue
        out.append((joint, multiply(joint.origin, quaternion_about(joint.axis, factor * positions[leader]))))
    return out
