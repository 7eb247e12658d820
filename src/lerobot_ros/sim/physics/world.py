"""A running MuJoCo world: the arm and a task's objects, stepped in real time on its own thread.

The world advances by whole ``timestep`` steps to keep up with the wall clock; when the machine is
too busy to keep up it drops the backlog (the simulation runs slower than real time, never in
bursts) and counts it, so :attr:`real_time_factor` tells how faithful a run was. Joint targets come
from the servos (:mod:`lerobot_ros.sim.physics.coupling`); readers get copies taken under one lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Sequence

import mujoco
import numpy as np

from ...description.robots import DESCRIPTIONS
from .mjcf import ServoGains, build_mjcf
from .tasks import task

# The arms whose fingers (mjcf.py) and servo-gain registers (Feetech P/D_Coefficient) are modelled; the
# MJCF builder itself takes any description, but a Dynamixel arm's gains and jaws would be guesses.
MODELLED_ARMS = ("so100_follower", "so101_follower")
LOOP_PERIOD_S = 0.004  # how often the thread wakes to catch up with the wall clock
MAX_CATCH_UP_S = 0.05  # a longer stall is dropped, not replayed


@dataclass(frozen=True)
class WorldStats:
    sim_time_s: float
    wall_time_s: float
    steps: int
    dropped_s: float

    @property
    def real_time_factor(self) -> float:
        return self.sim_time_s / self.wall_time_s if self.wall_time_s > 0 else 0.0


class PhysicsWorld:
    """``robot_type`` (a key of :data:`lerobot_ros.description.robots.DESCRIPTIONS`) in task ``world``."""

    def __init__(self, robot_type: str, world: str = "pick_place"):
        if robot_type not in MODELLED_ARMS:
            raise ValueError(f"the physics world models {', '.join(MODELLED_ARMS)} (their fingers and Feetech "
                             f"servo gains); {robot_type!r} is not modelled")
        self.robot_type = robot_type
        self.name = world
        self.task = task(world)
        self.description = DESCRIPTIONS[robot_type]()
        self.mjcf = build_mjcf(self.description, self.task)
        self.model = mujoco.MjModel.from_xml_string(self.mjcf)
        self.data = mujoco.MjData(self.model)
        self.joint_names = list(self.description.robot_type.joint_names)
        self._qadr = np.array([self.model.jnt_qposadr[self.model.joint(n).id] for n in self.joint_names])
        self._vadr = np.array([self.model.jnt_dofadr[self.model.joint(n).id] for n in self.joint_names])
        self._act = np.array([self.model.actuator(n).id for n in self.joint_names])
        self._enabled = np.ones(len(self.joint_names), bool)
        self._gains = [ServoGains(kp=float(self.model.actuator_gainprm[a, 0]),
                                  kv=float(-self.model.actuator_biasprm[a, 2]),
                                  max_torque=float(self.model.actuator_forcerange[a, 1])) for a in self._act]
        self.lock = threading.Lock()
        self.episode: dict = {}
        self._progress: dict = {}  # what the task tracks through an episode (e.g. whether the cube was picked)
        mujoco.mj_forward(self.model, self.data)
        self.data.ctrl[self._act] = self.data.qpos[self._qadr]
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wall_start: float | None = None
        self._wall_end: float | None = None
        self._sim_start = 0.0
        self._dropped_s = 0.0
        self._steps = 0

    # ------------------------------------------------------------------ the arm, for the servos

    def joint_state(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(positions rad, velocities rad/s, actuator torque as a fraction of its limit), joint order."""
        with self.lock:
            q = self.data.qpos[self._qadr].copy()
            v = self.data.qvel[self._vadr].copy()
            force = self.data.actuator_force[self._act].copy()
            limit = self.model.actuator_forcerange[self._act, 1].copy()
        return q, v, np.divide(force, limit, out=np.zeros_like(force), where=limit > 0)

    def place_arm(self, positions_rad: Sequence[float]) -> None:
        """Put the arm at rest at ``positions_rad`` (joint order), its targets there too."""
        with self.lock:
            self.data.qpos[self._qadr] = positions_rad
            self.data.qvel[self._vadr] = 0.0
            self.data.ctrl[self._act] = positions_rad
            mujoco.mj_forward(self.model, self.data)

    def set_target(self, index: int, angle_rad: float | None) -> None:
        """Joint ``index``'s goal; None lets it go limp (torque off)."""
        with self.lock:
            self._enabled[index] = angle_rad is not None
            if angle_rad is not None:
                self.data.ctrl[self._act[index]] = angle_rad
            self._apply_enable(index)

    def set_gains(self, index: int, gains: ServoGains) -> None:
        """Joint ``index``'s servo loop, as its registers now set it."""
        with self.lock:
            self._gains[index] = gains
            self.model.actuator_forcerange[self._act[index]] = (-gains.max_torque, gains.max_torque)
            self._apply_enable(index)

    def _apply_enable(self, index: int) -> None:
        # A position actuator's force is kp (ctrl - q) - kv qdot: zero kp and kv make the joint limp.
        a, gains, on = self._act[index], self._gains[index], self._enabled[index]
        self.model.actuator_gainprm[a, 0] = gains.kp if on else 0.0
        self.model.actuator_biasprm[a, 1] = -gains.kp if on else 0.0
        self.model.actuator_biasprm[a, 2] = -gains.kv if on else 0.0

    # ------------------------------------------------------------------ episodes

    def reset_objects(self, seed: int) -> dict:
        """Place the task's objects for episode ``seed`` (the arm stays where it is, as on a real table)."""
        with self.lock:
            self.episode = self.task.reset(self.model, self.data, seed)
            mujoco.mj_forward(self.model, self.data)
            self._progress = self.task.track(self.model, self.data, {})
        return self.episode

    def object_state(self) -> dict:
        with self.lock:
            return self.task.object_state(self.model, self.data)

    def success(self) -> bool:
        with self.lock:
            return self.task.success(self.model, self.data, self._progress)

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """(qpos, mocap_pos) copies: everything a renderer needs to draw the world as it is now."""
        with self.lock:
            return self.data.qpos.copy(), self.data.mocap_pos.copy()

    # ------------------------------------------------------------------ time

    def step(self, n: int = 1) -> None:
        """Advance ``n`` steps now (tests and offline use; the thread does this when started)."""
        with self.lock:
            for _ in range(n):
                mujoco.mj_step(self.model, self.data)
                self._progress = self.task.track(self.model, self.data, self._progress)
            self._steps += n

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._wall_start, self._wall_end = time.monotonic(), None
        self._sim_start = self.data.time
        self._thread = threading.Thread(target=self._run, name=f"physics-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None
            self._wall_end = time.monotonic()

    def stats(self) -> WorldStats:
        """Simulated against wall time since :meth:`start` (until :meth:`stop`)."""
        if self._wall_start is None:
            return WorldStats(0.0, 0.0, self._steps, 0.0)
        wall = (self._wall_end or time.monotonic()) - self._wall_start
        with self.lock:
            sim = self.data.time - self._sim_start
        return WorldStats(sim_time_s=sim, wall_time_s=wall, steps=self._steps, dropped_s=self._dropped_s)

    def _run(self) -> None:
        dt = self.model.opt.timestep
        while not self._stop.wait(LOOP_PERIOD_S):
            behind = (time.monotonic() - self._wall_start) - (self.data.time - self._sim_start) - self._dropped_s
            if behind > MAX_CATCH_UP_S:
                self._dropped_s += behind - MAX_CATCH_UP_S
                behind = MAX_CATCH_UP_S
            n = int(behind / dt)
            if n > 0:
                self.step(n)
