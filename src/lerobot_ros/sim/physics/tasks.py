"""Tasks of the physics world: what is on the table, how an episode's start is drawn, what counts as done.

A task is a :class:`Task`: its scene (added to the MJCF), ``reset`` (objects placed from a seed, so
episode ``k`` of every run starts the same), ``track`` (what it must remember through an episode,
updated after every step) and ``success`` (a predicate on the simulator state and that memory).
``TASKS`` maps the ``world=`` name of a ``sim://`` port to one. docs/simulation.md says how to add one.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import mujoco
import numpy as np

from .mjcf import SceneCamera, SceneSpec, _fmt, _look_at_xyaxes


@dataclass(frozen=True)
class PickPlace(SceneSpec):
    """Pick a cube up from the table and put it down on the green target square.

    The SO arm's base sits at the origin and reaches along -y; the cube starts in a box in front of
    it (``cube_x``, ``cube_y``, yaw ``cube_yaw``), the target square on the arm's other side of the
    workspace. Success: the cube rests (below ``rest_height_m``, slower than ``rest_speed_mps``) with its
    centre inside the square, and the gripper no longer touches it, after it was **picked**: held
    between both fingers at least ``lift_m`` above the table during the episode (an arm that shoves
    or flings the cube onto the square has not picked and placed it).
    """

    name: str = "pick_place"
    cube_half_m: float = 0.015
    cube_mass_kg: float = 0.03
    cube_x: tuple[float, float] = (-0.12, -0.02)
    cube_y: tuple[float, float] = (-0.26, -0.17)
    cube_yaw: tuple[float, float] = (-0.6, 0.6)
    target_x: tuple[float, float] = (0.06, 0.13)
    target_y: tuple[float, float] = (-0.25, -0.17)
    target_half_m: float = 0.035
    rest_height_m: float = 0.025
    rest_speed_mps: float = 0.02
    lift_m: float = 0.02
    cameras: tuple[SceneCamera, ...] = field(default=(
        SceneCamera("front", eye=(0.0, -0.55, 0.38), target=(0.0, -0.15, 0.04)),
        SceneCamera("side", eye=(0.55, -0.25, 0.35), target=(0.0, -0.2, 0.05)),
    ))
    task_text: str = "Pick up the red cube and put it on the green square."

    def add_to(self, world: ET.Element, asset: ET.Element) -> None:
        ET.SubElement(asset, "material", name="cube", rgba="0.85 0.1 0.1 1")
        ET.SubElement(asset, "material", name="target", rgba="0.15 0.7 0.25 1")
        ET.SubElement(world, "geom", name="floor", type="plane", size="2 2 0.05", pos="0 0 -0.75", material="floor")
        ET.SubElement(world, "geom", name="table", type="box", size="0.4 0.35 0.02", pos="0 -0.15 -0.02",
                      material="table", **{"class": "solid"})
        target = ET.SubElement(world, "body", name="target", mocap="true", pos="0.1 -0.2 0")
        ET.SubElement(target, "geom", name="target", type="box", size=_fmt((self.target_half_m, self.target_half_m,
                                                                             0.0005)),
                      pos="0 0 0.0005", material="target")
        cube = ET.SubElement(world, "body", name="cube", pos=f"-0.07 -0.2 {self.cube_half_m}")
        ET.SubElement(cube, "freejoint", name="cube")
        ET.SubElement(cube, "geom", name="cube", type="box", size=_fmt([self.cube_half_m] * 3),
                      mass=f"{self.cube_mass_kg:g}", material="cube", **{"class": "solid"})
        for cam in self.cameras:
            ET.SubElement(world, "camera", name=cam.name, pos=_fmt(cam.eye),
                          xyaxes=_look_at_xyaxes(cam.eye, cam.target),
                          fovy=f"{cam.fovy_deg:g}")

    def reset(self, model: mujoco.MjModel, data: mujoco.MjData, seed: int) -> dict:
        """Place the cube and the target for episode ``seed``; returns what was drawn."""
        rng = np.random.default_rng(seed)
        cube_xy = np.array([rng.uniform(*self.cube_x), rng.uniform(*self.cube_y)])
        yaw = rng.uniform(*self.cube_yaw)
        target_xy = np.array([rng.uniform(*self.target_x), rng.uniform(*self.target_y)])
        qadr = model.jnt_qposadr[model.joint("cube").id]
        vadr = model.jnt_dofadr[model.joint("cube").id]
        data.qpos[qadr:qadr + 7] = [*cube_xy, self.cube_half_m, math.cos(yaw / 2), 0, 0, math.sin(yaw / 2)]
        data.qvel[vadr:vadr + 6] = 0.0
        data.mocap_pos[model.body("target").mocapid[0]] = [*target_xy, 0.0]
        return {"seed": seed, "cube_xy": cube_xy.tolist(), "cube_yaw": yaw, "target_xy": target_xy.tolist()}

    def object_state(self, model: mujoco.MjModel, data: mujoco.MjData) -> dict:
        """The cube's pose and speed and the target's centre, as the expert and the scorer read them."""
        body = model.body("cube").id
        qadr = model.jnt_qposadr[model.joint("cube").id]
        vadr = model.jnt_dofadr[model.joint("cube").id]
        return {"cube_pos": data.xpos[body].copy(), "cube_quat": data.qpos[qadr + 3:qadr + 7].copy(),
                "cube_speed": float(np.linalg.norm(data.qvel[vadr:vadr + 3])),
                "target_xy": data.mocap_pos[model.body("target").mocapid[0]][:2].copy()}

    def track(self, model: mujoco.MjModel, data: mujoco.MjData, progress: dict) -> dict:
        """After each step: whether the cube has been picked (held aloft by both fingers) so far."""
        if progress.get("picked"):
            return progress
        cube_z = data.xpos[model.body("cube").id][2]
        picked = (cube_z > self.cube_half_m + self.lift_m and _touching(model, data, "cube", ("fixed_jaw",))
                  and _touching(model, data, "cube", ("moving_finger",)))
        return {"picked": bool(picked)}

    def success(self, model: mujoco.MjModel, data: mujoco.MjData, progress: dict) -> bool:
        if not progress.get("picked"):
            return False
        state = self.object_state(model, data)
        inside = np.all(np.abs(state["cube_pos"][:2] - state["target_xy"]) <= self.target_half_m)
        resting = state["cube_pos"][2] < self.rest_height_m and state["cube_speed"] < self.rest_speed_mps
        return bool(inside and resting and not _touching(model, data, "cube", ("fixed_jaw", "moving_finger")))


def _touching(model: mujoco.MjModel, data: mujoco.MjData, geom: str, others: tuple[str, ...]) -> bool:
    gid = model.geom(geom).id
    other_ids = {model.geom(name).id for name in others}
    for contact in data.contact[:data.ncon]:
        pair = {contact.geom1, contact.geom2}
        if gid in pair and pair & other_ids:
            return True
    return False


TASKS: dict[str, SceneSpec] = {"pick_place": PickPlace()}


def task(name: str) -> SceneSpec:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown physics world {name!r}; known: {', '.join(sorted(TASKS))}") from None
