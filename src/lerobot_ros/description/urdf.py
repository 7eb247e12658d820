"""A URDF written from a kinematic chain given as data, with simple shapes where no meshes exist.

Why generated: five robots share one structure (a serial arm of revolute joints, a tool frame,
cameras), joint names and limits must equal robot_node's (the tables in
:mod:`lerobot_ros.robots.tables`), and hand-copied numbers drift. Each link is drawn as a cylinder
from its origin to its next joint (a box for the base), with the inertia of that solid.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..motors.normalization import MotorCalibration
from ..motors.tables import motor_model
from ..robots.robot import joint_limits_rad
from ..robots.tables import RobotType

Vec3 = tuple[float, float, float]
ZERO: Vec3 = (0.0, 0.0, 0.0)
# camera_link (x forward, REP-103) -> <name>_optical_frame (z forward, x right, y down)
OPTICAL_RPY: Vec3 = (-math.pi / 2, 0.0, -math.pi / 2)

# Approximate datasheet torque (N m) and no-load speed (rad/s) per servo model: URDF effort/velocity.
SERVO_LIMITS = {
    "sts3215": (2.9, 4.7),
    "xl430-w250": (1.4, 6.1),
    "xl330-m288": (0.52, 10.8),
}


@dataclass(frozen=True)
class Joint:
    """One joint. ``kind`` is revolute (limits from the robot table), continuous or fixed."""

    name: str
    parent: str
    child: str
    xyz: Vec3 = ZERO
    rpy: Vec3 = ZERO
    axis: Vec3 = (0.0, 0.0, 1.0)
    kind: str = "revolute"
    mimic: tuple[str, float] | None = None  # (joint, multiplier): a second jaw following the first


@dataclass(frozen=True)
class Shape:
    """Extra geometry drawn at a link (base plates, wheels, cameras): a box or a cylinder."""

    link: str
    kind: str  # "box" (size = x, y, z) or "cylinder" (size = radius, length)
    size: tuple[float, ...]
    xyz: Vec3 = ZERO
    rpy: Vec3 = ZERO
    mass: float = 0.0  # 0: drawn only, no collision and no inertia of its own


@dataclass(frozen=True)
class Camera:
    """A camera mount: ``<name>_camera_link`` on ``parent`` and camera_node's ``<name>_optical_frame``."""

    name: str
    parent: str
    xyz: Vec3
    rpy: Vec3  # camera_link: x along the view direction


@dataclass(frozen=True)
class Description:
    """A robot's links and joints. Link masses (kg) feed the inertias of every link but the root (the
    root's mass only marks its shapes as colliding); link_radius draws the arm links."""

    name: str
    robot_type: RobotType
    root: str
    joints: Sequence[Joint]
    masses: dict[str, float]
    link_radius: float = 0.018
    shapes: Sequence[Shape] = ()
    cameras: Sequence[Camera] = ()
    leaf_boxes: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # jaws: drawn as boxes


def table_limits(rtype: RobotType) -> dict[str, tuple[float, float]]:
    """The limits robot_node enforces for the widest calibration (0..max_res): the table's nominal
    limits where it has them (SO arms), else the full turn (+-pi) of LeRobot's -100..100 joints."""
    widest = {m.name: MotorCalibration(m.id, 0, 0, 0, motor_model(m.model).max_position) for m in rtype.motors}
    limits = joint_limits_rad(rtype, widest)
    return {name: (float(lo), float(hi)) for name, (lo, hi) in zip(rtype.joint_names, limits)}


def _fmt(values: Sequence[float]) -> str:
    return " ".join(f"{v:.12g}" if abs(v) > 1e-12 else "0" for v in values)


def _along(vector: np.ndarray) -> Vec3:
    """rpy turning +z onto ``vector`` (a cylinder's axis)."""
    x, y, z = vector
    return (0.0, math.atan2(math.hypot(x, y), z), math.atan2(y, x))


def _geometry(parent: ET.Element, kind: str, size: Sequence[float]) -> None:
    geometry = ET.SubElement(parent, "geometry")
    if kind == "box":
        ET.SubElement(geometry, "box", size=_fmt(size))
    else:
        ET.SubElement(geometry, "cylinder", radius=f"{size[0]:.6g}", length=f"{size[1]:.6g}")


def _inertia(kind: str, size: Sequence[float], mass: float) -> tuple[float, float, float]:
    if kind == "box":
        x, y, z = size
        return (mass * (y * y + z * z) / 12, mass * (x * x + z * z) / 12, mass * (x * x + y * y) / 12)
    r, h = size
    side = mass * (3 * r * r + h * h) / 12
    return (side, side, mass * r * r / 2)


class _Link:
    """The geometry of one link while it is being written."""

    def __init__(self, element: ET.Element):
        self.element = element
        self.parts: list[tuple[str, tuple[float, ...], Vec3, Vec3, float]] = []

    def add(self, kind: str, size: Sequence[float], xyz: Vec3, rpy: Vec3, mass: float, material: str,
            collide: bool = True) -> None:
        for tag in ("visual", "collision") if collide else ("visual",):
            part = ET.SubElement(self.element, tag)
            ET.SubElement(part, "origin", xyz=_fmt(xyz), rpy=_fmt(rpy))
            _geometry(part, kind, size)
            if tag == "visual":
                ET.SubElement(part, "material", name=material)
        if mass > 0:
            self.parts.append((kind, tuple(size), xyz, rpy, mass))

    def finish(self, fallback_mass: float) -> None:
        """The link's whole mass with the shape (and so the centre and inertia) of its heaviest part; a
        1 cm box of ``fallback_mass`` when it has no massive shape of its own."""
        kind, size, xyz, rpy, mass = max(self.parts, key=lambda p: p[4], default=(
            "box", (0.01, 0.01, 0.01), ZERO, ZERO, fallback_mass))
        mass = sum(p[4] for p in self.parts) or fallback_mass
        inertial = ET.SubElement(self.element, "inertial")
        ET.SubElement(inertial, "origin", xyz=_fmt(xyz), rpy=_fmt(rpy))
        ET.SubElement(inertial, "mass", value=f"{mass:.6g}")
        ixx, iyy, izz = _inertia(kind, size, mass)
        ET.SubElement(inertial, "inertia", ixx=f"{ixx:.6g}", ixy="0", ixz="0", iyy=f"{iyy:.6g}", iyz="0",
                      izz=f"{izz:.6g}")


def build(desc: Description) -> str:
    """The URDF of ``desc`` as text."""
    limits = table_limits(desc.robot_type)
    models = {m.name: m.model for m in desc.robot_type.motors}
    robot = ET.Element("robot", name=desc.name)
    ET.SubElement(ET.SubElement(robot, "material", name="arm"), "color", rgba="0.95 0.75 0.1 1")
    ET.SubElement(ET.SubElement(robot, "material", name="dark"), "color", rgba="0.15 0.15 0.15 1")
    ET.SubElement(ET.SubElement(robot, "material", name="camera"), "color", rgba="0.1 0.3 0.8 1")

    joints = list(desc.joints)
    for cam in desc.cameras:
        link = f"{cam.name}_camera_link"
        joints.append(Joint(f"{link}_joint", cam.parent, link, cam.xyz, cam.rpy, kind="fixed"))
        joints.append(Joint(f"{cam.name}_optical_joint", link, f"{cam.name}_optical_frame", ZERO, OPTICAL_RPY,
                            kind="fixed"))
    link_names = [desc.root] + [j.child for j in joints]
    links = {name: _Link(ET.SubElement(robot, "link", name=name)) for name in link_names}

    # arm links: a cylinder from the link's origin to each revolute child joint, sharing the link's mass
    segments = [j for j in desc.joints if j.kind == "revolute" and np.linalg.norm(j.xyz) > 1e-3]
    for j in segments:
        offset = np.array(j.xyz)
        share = desc.masses.get(j.parent, 0.0) / sum(s.parent == j.parent for s in segments)
        links[j.parent].add("cylinder", (desc.link_radius, float(np.linalg.norm(offset))), tuple(offset / 2),
                            _along(offset), share, "arm")
    for name, size in desc.leaf_boxes.items():
        links[name].add("box", size, ZERO, ZERO, desc.masses.get(name, 0.0), "arm")
    for s in desc.shapes:
        links[s.link].add(s.kind, s.size, s.xyz, s.rpy, s.mass, "dark", collide=s.mass > 0)
    for cam in desc.cameras:
        links[f"{cam.name}_camera_link"].add("box", (0.02, 0.03, 0.02), ZERO, ZERO, 0.01, "camera", collide=False)
    for name, link in links.items():
        # tool and optical frames are not bodies; KDL (robot_state_publisher) warns about a root inertia
        if name != desc.root and not name.endswith(("_optical_frame", "tool0")):
            link.finish(desc.masses.get(name, 0.01))

    for j in joints:
        element = ET.SubElement(robot, "joint", name=j.name, type=j.kind)
        ET.SubElement(element, "parent", link=j.parent)
        ET.SubElement(element, "child", link=j.child)
        ET.SubElement(element, "origin", xyz=_fmt(j.xyz), rpy=_fmt(j.rpy))
        if j.kind == "fixed":
            continue
        ET.SubElement(element, "axis", xyz=_fmt(j.axis))
        source = j.mimic[0] if j.mimic else j.name
        effort, velocity = SERVO_LIMITS[models[source]]
        if j.kind == "revolute":
            lo, hi = limits[source]
            if j.mimic:
                lo, hi = sorted((lo * j.mimic[1], hi * j.mimic[1]))
            ET.SubElement(element, "limit", lower=repr(lo), upper=repr(hi), effort=f"{effort:g}",
                          velocity=f"{velocity:g}")
        else:
            ET.SubElement(element, "limit", effort=f"{effort:g}", velocity=f"{velocity:g}")
        if j.mimic:
            ET.SubElement(element, "mimic", joint=j.mimic[0], multiplier=f"{j.mimic[1]:g}")
    ET.indent(robot, space="  ")
    header = (f"<!-- Generated by `python -m lerobot_ros.description` from lerobot_ros/description/robots.py;\n"
              f"     edit that file, not this one. Joint names and limits: robot_node's {desc.robot_type.name}. -->\n")
    return '<?xml version="1.0"?>\n' + header + ET.tostring(robot, encoding="unicode") + "\n"
