"""An arm's MuJoCo model (MJCF) written from lerobot_ros's own kinematic description, inside a task's scene.

Why generated, like the URDFs: the joint origins, axes, limits and masses are
:mod:`lerobot_ros.description.robots`'s, so the physics twin and the URDF that robot_state_publisher
serves cannot drift apart. Geometry is simple: each link is a capsule from its origin to its child
joints (visual only: the arm's links do not collide), and two box fingers on the gripper make the
only arm geometry that touches anything, so grasps are frictional contacts between fingers and objects.

Each servo joint gets a MuJoCo ``position`` actuator. Its stiffness, damping and torque are a model
of the servo's position loop, from the servo's own registers (:func:`servo_gains`): stiffness
``P_Coefficient * KP_NM_PER_RAD_PER_UNIT``, damping ``D_Coefficient * KV_NMS_PER_RAD_PER_UNIT``,
torque limit the datasheet stall torque scaled by ``Max_Torque_Limit / 1000``. The coupling
(:mod:`lerobot_ros.sim.physics.coupling`) re-reads those registers while it runs, so a gain written over
the bus changes the physics.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ...description.urdf import SERVO_LIMITS, Description, Joint, table_limits
from ...motors.tables import motor_model

# The servo position loop as a spring and damper (a model: Feetech documents no physical units).
KP_NM_PER_RAD_PER_UNIT = 1.0  # P_Coefficient 16 (LeRobot's follower setting) -> 16 N m/rad
KV_NMS_PER_RAD_PER_UNIT = 0.02  # D_Coefficient 32 -> 0.64 N m s/rad, about critical damping of a link
ARMATURE_KG_M2 = 0.005  # reflected rotor inertia behind a 1:345 gearbox
JOINT_DAMPING_NMS = 0.05  # gearbox friction
TIMESTEP_S = 0.002
HIDDEN_GROUP = "4"  # frames (sites) exist for kinematics; the cameras do not draw them

# Fingers, in the gripper_link frame (the gripper points along its -z; the moving jaw turns about
# its -y through the jaw pivot): a fixed jaw beside tool0 and a moving finger from the pivot.
FIXED_JAW_CENTER = (-0.0269, 0.0, -0.075)
FIXED_JAW_HALF = (0.004, 0.012, 0.03)
# In the moving jaw's frame (its -y is the finger's direction at gripper 0): shifted toward the fixed
# jaw so that a 3 cm object is held with the joint a little above 0 rad.
GRASP_POINT = (-0.0079, 0.0, -0.092)  # where a held 3 cm cube's centre sits: the "grasp" site
MOVING_FINGER_CENTER = (-0.012, -0.056, 0.0188)
MOVING_FINGER_HALF = (0.004, 0.026, 0.012)
FINGER_FRICTION = (1.5, 0.02, 0.002)


@dataclass(frozen=True)
class ServoGains:
    """A position actuator's parameters, as the servo's registers set them."""

    kp: float  # N m / rad
    kv: float  # N m s / rad
    max_torque: float  # N m


def servo_gains(model_name: str, registers: Mapping[str, int]) -> ServoGains:
    """The actuator of a servo of ``model_name`` whose registers hold ``registers`` (factory defaults
    fill in what is missing)."""
    model = motor_model(model_name)
    values = {**model.defaults, **registers}
    stall_nm = SERVO_LIMITS[model.name][0]
    return ServoGains(kp=values.get("P_Coefficient", 32) * KP_NM_PER_RAD_PER_UNIT,
                      kv=values.get("D_Coefficient", 32) * KV_NMS_PER_RAD_PER_UNIT,
                      max_torque=stall_nm * values.get("Max_Torque_Limit", 1000) / 1000.0)


@dataclass(frozen=True)
class SceneCamera:
    """A camera fixed in the world, looking from ``eye`` at ``target`` (metres, z up, table top z=0)."""

    name: str
    eye: tuple[float, float, float]
    target: tuple[float, float, float]
    fovy_deg: float = 58.0


def _fmt(values: Sequence[float]) -> str:
    return " ".join(f"{v:.9g}" if abs(v) > 1e-12 else "0" for v in values)


def _rpy_matrix(rpy: Sequence[float]) -> np.ndarray:
    r, p, y = rpy
    rx = np.array([[1, 0, 0], [0, math.cos(r), -math.sin(r)], [0, math.sin(r), math.cos(r)]])
    ry = np.array([[math.cos(p), 0, math.sin(p)], [0, 1, 0], [-math.sin(p), 0, math.cos(p)]])
    rz = np.array([[math.cos(y), -math.sin(y), 0], [math.sin(y), math.cos(y), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _camera_link_xyaxes(rpy: Sequence[float]) -> str:
    """A REP-103 camera_link (x forward, z up) as MuJoCo's camera axes (x right, y up, looking along -z)."""
    rot = _rpy_matrix(rpy)
    right, up = -rot[:, 1], rot[:, 2]
    return _fmt([*right, *up])


def _look_at_xyaxes(eye: Sequence[float], target: Sequence[float]) -> str:
    forward = np.subtract(target, eye, dtype=float)
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    return _fmt([*right, *np.cross(right, forward)])


class _Builder:
    def __init__(self, desc: Description):
        self.desc = desc
        self.limits = table_limits(desc.robot_type)
        self.specs = {m.name: m for m in desc.robot_type.motors}
        self.bodies: dict[str, ET.Element] = {}

    def arm(self, parent: ET.Element) -> None:
        root = ET.SubElement(parent, "body", name=self.desc.root)
        self.bodies[self.desc.root] = root
        for shape in self.desc.shapes:
            if shape.link == self.desc.root and shape.kind == "box":
                ET.SubElement(root, "geom", type="box", size=_fmt(np.array(shape.size) / 2), pos=_fmt(shape.xyz),
                              material="dark")
        for joint in self.desc.joints:
            if joint.kind == "fixed":
                self._frame(joint)
            else:
                self._link(joint)
        for camera in self.desc.cameras:
            if camera.parent in self.bodies and camera.parent != self.desc.root:
                ET.SubElement(self.bodies[camera.parent], "camera", name=camera.name, pos=_fmt(camera.xyz),
                              xyaxes=_camera_link_xyaxes(camera.rpy), fovy="75")
        gripper = self.bodies.get("gripper_link")
        jaw = self.bodies.get("moving_jaw_link")
        if gripper is not None and jaw is not None:
            ET.SubElement(gripper, "geom", name="fixed_jaw", type="box", size=_fmt(FIXED_JAW_HALF),
                          pos=_fmt(FIXED_JAW_CENTER), mass="0.01", material="jaw", **{"class": "finger"})
            ET.SubElement(gripper, "site", name="grasp", pos=_fmt(GRASP_POINT), size="0.004", group=HIDDEN_GROUP)
            ET.SubElement(jaw, "geom", name="moving_finger", type="box", size=_fmt(MOVING_FINGER_HALF),
                          pos=_fmt(MOVING_FINGER_CENTER), mass="0.01", material="jaw", **{"class": "finger"})

    def _frame(self, joint: Joint) -> None:
        ET.SubElement(self.bodies[joint.parent], "site", name=joint.child, pos=_fmt(joint.xyz),
                      euler=_fmt(joint.rpy), size="0.005", group=HIDDEN_GROUP)

    def _link(self, joint: Joint) -> None:
        body = ET.SubElement(self.bodies[joint.parent], "body", name=joint.child, pos=_fmt(joint.xyz),
                             euler=_fmt(joint.rpy))
        self.bodies[joint.child] = body
        attrs = {"name": joint.name, "axis": _fmt(joint.axis), "armature": f"{ARMATURE_KG_M2:g}",
                 "damping": f"{JOINT_DAMPING_NMS:g}"}
        if joint.kind == "revolute":
            attrs["range"] = _fmt(self.limits[joint.name])
        ET.SubElement(body, "joint", **attrs)
        children = [j for j in self.desc.joints if j.parent == joint.child and j.kind == "revolute"]
        mass = self.desc.masses.get(joint.child, 0.01)
        reaches = [np.array(j.xyz) for j in children if np.linalg.norm(j.xyz) > 1e-3]
        for end in reaches:
            ET.SubElement(body, "geom", type="capsule", fromto=_fmt([0, 0, 0, *end]),
                          size=f"{self.desc.link_radius * 0.8:g}", mass=f"{mass / len(reaches):g}", material="arm")
        if not reaches:  # a jaw: its finger is added with the gripper; the link's mass sits at its origin
            ET.SubElement(body, "inertial", pos="0 0 0", mass=f"{mass:g}", diaginertia="2e-6 2e-6 2e-6")

    def actuators(self, parent: ET.Element) -> None:
        for spec in self.desc.robot_type.joints:
            gains = servo_gains(spec.model, spec.registers)
            ET.SubElement(parent, "position", name=spec.name, joint=spec.name, kp=f"{gains.kp:g}",
                          kv=f"{gains.kv:g}", forcerange=_fmt((-gains.max_torque, gains.max_torque)),
                          ctrlrange=_fmt(self.limits[spec.name]))


def build_mjcf(desc: Description, scene: "SceneSpec") -> str:
    """The MJCF text of ``desc`` on the table of ``scene``, with its objects and cameras."""
    mj = ET.Element("mujoco", model=f"{desc.name}_{scene.name}")
    ET.SubElement(mj, "compiler", angle="radian", eulerseq="XYZ", autolimits="true")
    ET.SubElement(mj, "option", timestep=f"{TIMESTEP_S:g}", integrator="implicitfast", cone="elliptic",
                  impratio="10")
    visual = ET.SubElement(mj, "visual")
    ET.SubElement(visual, "global", offwidth="1280", offheight="960")
    ET.SubElement(visual, "quality", shadowsize="0")
    default = ET.SubElement(mj, "default")
    ET.SubElement(default, "geom", contype="0", conaffinity="0")  # visual unless a class says otherwise
    for cls, friction in (("finger", FINGER_FRICTION), ("solid", (1.0, 0.01, 0.001))):
        ET.SubElement(ET.SubElement(default, "default", **{"class": cls}), "geom", contype="1", conaffinity="1",
                      condim="4", friction=_fmt(friction), solref="0.004 1", solimp="0.95 0.99 0.001")
    asset = ET.SubElement(mj, "asset")
    for name, rgba in (("arm", "0.95 0.75 0.1 1"), ("dark", "0.15 0.15 0.15 1"), ("jaw", "0.2 0.2 0.25 1"),
                       ("table", "0.67 0.52 0.36 1"), ("floor", "0.45 0.42 0.4 1")):
        ET.SubElement(asset, "material", name=name, rgba=rgba)
    world = ET.SubElement(mj, "worldbody")
    ET.SubElement(world, "light", pos="0.3 -0.6 1.2", dir="-0.3 0.5 -1", directional="true", diffuse="0.8 0.8 0.8")
    ET.SubElement(world, "light", pos="-0.4 0.3 1.0", dir="0.3 -0.3 -1", directional="true", diffuse="0.3 0.3 0.3")
    scene.add_to(world, asset)
    builder = _Builder(desc)
    builder.arm(world)
    builder.actuators(ET.SubElement(mj, "actuator"))
    ET.indent(mj, space="  ")
    return ET.tostring(mj, encoding="unicode")


class SceneSpec:
    """What a task puts around the arm (table, objects, markers, fixed cameras) and how it scores: see
    :mod:`.tasks` for ``reset``, ``object_state``, ``track`` (called after every step with what it
    returned last, from ``{}`` at reset) and ``success``."""

    name: str

    def add_to(self, world: ET.Element, asset: ET.Element) -> None:
        raise NotImplementedError
