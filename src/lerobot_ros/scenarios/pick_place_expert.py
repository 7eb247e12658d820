"""A scripted expert for the pick-and-place world: joint-space waypoints from the simulator's state.

It reads where the cube and the target are (the simulator's truth, which a person sees), solves
inverse kinematics on the world's own model for the gripper pointing straight down with its jaws
square to the cube, adds the static sag the servo's stiffness lets gravity cause (a person watching
the arm would aim a little higher too), and joins the waypoints with minimum-jerk segments. Its
output is follower joint targets over time, which the caller plays on the leader arm, plus the
language of each phase (subtask, memory) as the SmolVLA2 runtime will meet it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..sim.physics import mujoco
from ..sim.physics.world import PhysicsWorld

GRIPPER_OPEN_RAD = 0.75
GRIPPER_CLOSED_RAD = -0.12  # past contact with a 3 cm cube (about +0.05 rad): the servo squeezes
ABOVE_M = 0.07  # approach and retreat height above the grasp
PLACE_CLEARANCE_M = 0.004  # the cube is let go this far above the table
# The fixed jaw's face touches a held cube: coming down, the cube is aimed this far from it (toward
# the moving finger), and closing pushes it over against the fixed jaw.
APPROACH_MARGIN_M = 0.008
LIMIT_MARGIN_RAD = 0.002
ORIENTATION_WEIGHT = 0.1  # position first: near the edge of the reach the gripper may tilt a little
HOME_GRASP_POINT = (0.0, -0.2, 0.10)  # above the workspace, the wrist clear of its limit
# A phase's memory is said this long after its successor's subtask starts, as at run time, where the
# memory is asked for once the runtime has seen the subtask change (subtask_rate_hz 1): so the data
# holds frames where the new subtask must follow from the image under the old memory. Said at the
# same instant, the memory alone predicts the subtask and a trained policy never leaves the first
# (scenarios/policy_scenario.py learned the same; 7 frames at its 10 fps).
MEMORY_DELAY_S = 0.7


@dataclass(frozen=True)
class Waypoint:
    pose: np.ndarray  # follower joint targets (rad), world.joint_names order
    duration_s: float  # time to get here from the previous waypoint
    phase: int
    reach: np.ndarray | None = None  # set: the hand waits here until the follower has settled at this pose


@dataclass(frozen=True)
class TaskPhase:
    subtask: str
    memory_after: str


PHASES = (
    TaskPhase("reach above the red cube", "The gripper is above the cube."),
    TaskPhase("lower the gripper and grasp the cube", "The cube is in the gripper."),
    TaskPhase("lift the cube", "The cube is lifted."),
    TaskPhase("carry the cube over the green square", "The cube is above the green square."),
    TaskPhase("put the cube down and let go", "The cube is on the green square."),
    TaskPhase("move the arm back", "The task is done."),
)


@dataclass(frozen=True)
class Cue:
    at_s: float
    topic: str  # plan, subtask or memory
    text: str


class InverseKinematics:
    """Damped least squares on the world's model (a private MjData: the running world is not touched)."""

    def __init__(self, world: PhysicsWorld):
        self.model = world.model
        self.data = mujoco.MjData(world.model)
        self.site = world.model.site("grasp").id
        self.arm = [world.model.joint(n).id for n in world.joint_names[:-1]]  # all but the gripper
        self.dofs = [int(world.model.jnt_dofadr[j]) for j in self.arm]
        self.qadr = [int(world.model.jnt_qposadr[j]) for j in self.arm]
        self.limits = world.model.jnt_range[self.arm]
        self.gripper_qadr = int(world.model.jnt_qposadr[world.model.joint(world.joint_names[-1]).id])

    def solve(self, q0: np.ndarray, point: np.ndarray, jaw_axis: np.ndarray, iterations: int = 200) -> np.ndarray:
        """Arm joints (all but the gripper) putting the grasp site at ``point``, the gripper pointing
        down and its closing axis (gripper_link x) along ``jaw_axis`` (horizontal)."""
        target_rot = np.column_stack([jaw_axis, np.cross([0.0, 0.0, 1.0], jaw_axis), [0.0, 0.0, 1.0]])
        q = np.array(q0, float)
        jacp, jacr = np.zeros((3, self.model.nv)), np.zeros((3, self.model.nv))
        body = self.model.site_bodyid[self.site]
        for _ in range(iterations):
            self.data.qpos[self.qadr] = q
            mujoco.mj_kinematics(self.model, self.data)
            mujoco.mj_comPos(self.model, self.data)
            rot = self.data.xmat[body].reshape(3, 3)
            err_p = point - self.data.site_xpos[self.site]
            err_r = 0.5 * sum(np.cross(rot[:, i], target_rot[:, i]) for i in range(3))
            err = np.concatenate([err_p, ORIENTATION_WEIGHT * err_r])
            if np.linalg.norm(err) < 1e-5:
                break
            mujoco.mj_jacSite(self.model, self.data, jacp, jacr, self.site)
            jac = np.vstack([jacp[:, self.dofs], ORIENTATION_WEIGHT * jacr[:, self.dofs]])
            step = jac.T @ np.linalg.solve(jac @ jac.T + 1e-4 * np.eye(6), err)
            q = np.clip(q + step, self.limits[:, 0], self.limits[:, 1])
        return q

    def gravity_sag(self, q_arm: np.ndarray, gripper: float, kp: np.ndarray) -> np.ndarray:
        """Joint offsets that cancel the static sag of position servos of stiffness ``kp`` at ``q``."""
        self.data.qpos[self.qadr] = q_arm
        self.data.qpos[self.gripper_qadr] = gripper
        self.data.qvel[:] = 0.0
        mujoco.mj_forward(self.model, self.data)
        return self.data.qfrc_bias[self.dofs] / kp


class PickPlaceExpert:
    """Waypoints, timing and language for one episode of the pick-and-place world, from its state now."""

    def __init__(self, world: PhysicsWorld, speed: float = 1.0):
        self.world = world
        self.ik = InverseKinematics(world)
        self.kp = world.model.actuator_gainprm[[world.model.actuator(n).id for n in world.joint_names[:-1]], 0]
        self.speed = speed
        self.home = self._pose(np.array(HOME_GRASP_POINT), np.array([1.0, 0.0, 0.0]), GRIPPER_OPEN_RAD)

    def _pose(self, point: np.ndarray, jaw_axis: np.ndarray, gripper: float,
              q0: np.ndarray | None = None) -> np.ndarray:
        return self._solve(point, jaw_axis, gripper, q0)[0]

    def _solve(self, point: np.ndarray, jaw_axis: np.ndarray, gripper: float,
               q0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(the command, the pose the follower settles at under it): they differ by the gravity sag."""
        start = q0[:-1] if q0 is not None else np.array([0.0, -0.8, 0.8, 1.0, 0.0])
        arm = self.ik.solve(start, point, jaw_axis)
        command = arm + self.ik.gravity_sag(arm, gripper, self.kp)
        # robot_node refuses a point outside the limits: the sag offset may not push one past them
        lo, hi = self.ik.limits[:, 0] + LIMIT_MARGIN_RAD, self.ik.limits[:, 1] - LIMIT_MARGIN_RAD
        return np.append(np.clip(command, lo, hi), gripper), np.append(arm, gripper)

    def waypoints(self) -> list[Waypoint]:
        """The episode from the home pose, for the objects where they are now."""
        state = self.world.object_state()
        cube, target = state["cube_pos"], np.array([*state["target_xy"], 0.0])
        jaw = _jaw_axis(state["cube_quat"], cube)
        half = self.world.task.cube_half_m
        grasp = cube - APPROACH_MARGIN_M * jaw
        place = np.array([target[0], target[1], half + PLACE_CLEARANCE_M])
        up = np.array([0.0, 0.0, ABOVE_M])
        place_jaw = _radial_jaw(place)
        h = self.home
        above_cube = self._pose(grasp + up, jaw, GRIPPER_OPEN_RAD, h)
        at_cube, at_cube_reach = self._solve(grasp, jaw, GRIPPER_OPEN_RAD, above_cube)
        closed = at_cube.copy()
        closed[-1] = GRIPPER_CLOSED_RAD
        lifted = self._pose(grasp + up, jaw, GRIPPER_CLOSED_RAD, at_cube)
        above_target = self._pose(place + up, place_jaw, GRIPPER_CLOSED_RAD, lifted)
        at_target, at_target_reach = self._solve(place, place_jaw, GRIPPER_CLOSED_RAD, above_target)
        released = at_target.copy()
        released[-1] = GRIPPER_OPEN_RAD
        retreat = self._pose(place + up, place_jaw, GRIPPER_OPEN_RAD, released)
        s = 1.0 / self.speed
        return [Waypoint(h, 0.0, 0), Waypoint(above_cube, 1.6 * s, 0),
                Waypoint(at_cube, 1.0 * s, 1, at_cube_reach), Waypoint(closed, 0.6 * s, 1),
                Waypoint(closed, 0.3 * s, 1),
                Waypoint(lifted, 0.9 * s, 2),
                Waypoint(above_target, 1.4 * s, 3),
                Waypoint(at_target, 0.9 * s, 4, at_target_reach), Waypoint(released, 0.5 * s, 4),
                Waypoint(released, 0.2 * s, 4),
                Waypoint(retreat, 0.6 * s, 5), Waypoint(h, 1.2 * s, 5)]


class Trajectory:
    """Minimum-jerk segments through waypoints: the pose and phase at any time, and the language cues."""

    def __init__(self, waypoints: list[Waypoint]):
        self.waypoints = waypoints
        self.times = np.cumsum([w.duration_s for w in waypoints])

    @property
    def duration_s(self) -> float:
        return float(self.times[-1])

    def pose(self, t_s: float) -> np.ndarray:
        i = int(np.searchsorted(self.times, t_s, side="right"))
        if i <= 0:
            return self.waypoints[0].pose.copy()
        if i >= len(self.waypoints):
            return self.waypoints[-1].pose.copy()
        a, b = self.waypoints[i - 1], self.waypoints[i]
        s = (t_s - self.times[i - 1]) / b.duration_s
        blend = s ** 3 * (10 - 15 * s + 6 * s * s)
        return a.pose + blend * (b.pose - a.pose)

    def phase_start_s(self, phase: int) -> float:
        for i, w in enumerate(self.waypoints):
            if w.phase == phase and i > 0:
                return float(self.times[i - 1])
        return 0.0

    def cues(self) -> list[Cue]:
        """Each phase's subtask at its start, the previous phase's memory MEMORY_DELAY_S later, and no
        plan: the runtime starts a task without one (a plan comes from the reply to an interjection,
        as demo/narration.py records it), so training prompts must not always carry one."""
        cues = []
        for index, phase in enumerate(PHASES):
            start = self.phase_start_s(index)
            if index > 0:
                cues.append(Cue(start + MEMORY_DELAY_S, "memory", PHASES[index - 1].memory_after))
            cues.append(Cue(start, "subtask", phase.subtask))
        cues.append(Cue(self.duration_s, "memory", PHASES[-1].memory_after))
        return sorted(cues, key=lambda c: c.at_s)


class PacedPlayback:
    """The plan's clock as a person plays it: it stops at a waypoint with a ``reach`` pose until the
    follower's measured arm joints are within ``tolerance_rad`` of it (at most ``max_wait_s``), so a
    follower that fell behind (a stalled bus, a busy machine) is not handed a grasp it has not reached."""

    def __init__(self, plan: Trajectory, tolerance_rad: float = 0.04, max_wait_s: float = 3.0):
        self.plan, self.tolerance, self.max_wait_s = plan, tolerance_rad, max_wait_s
        self._pending = [(float(plan.times[i]), w.reach) for i, w in enumerate(plan.waypoints) if w.reach is not None]
        self._held_s = 0.0
        self._waited_s = 0.0
        self._last_t: float | None = None

    @property
    def held_s(self) -> float:
        """How long the plan has been held back so far."""
        return self._held_s

    def time(self, t_s: float, follower: np.ndarray | None) -> float:
        """Plan time at wall time ``t_s`` (since the start), given the follower's pose now."""
        dt = 0.0 if self._last_t is None else t_s - self._last_t
        self._last_t = t_s
        plan_t = t_s - self._held_s
        if self._pending and plan_t >= self._pending[0][0]:
            at, pose = self._pending[0]
            arrived = follower is not None and float(np.abs(follower[:-1] - pose[:-1]).max()) <= self.tolerance
            if arrived or self._waited_s >= self.max_wait_s:
                self._pending.pop(0)
                self._waited_s = 0.0
            else:
                self._held_s += plan_t - at
                self._waited_s += dt
                return at
        return plan_t


def _jaw_axis(quat: np.ndarray, cube: np.ndarray) -> np.ndarray:
    """The cube face normal (horizontal) closest to the radial direction, so the wrist turns least."""
    yaw = 2.0 * math.atan2(quat[3], quat[0])
    radial = _radial_jaw(cube)
    best = max((yaw + k * math.pi / 2 for k in range(4)),
               key=lambda a: math.cos(a) * radial[0] + math.sin(a) * radial[1])
    return np.array([math.cos(best), math.sin(best), 0.0])


def _radial_jaw(point: np.ndarray) -> np.ndarray:
    """The jaw axis a straight wrist gives at ``point``: across the arm's reach direction."""
    reach = np.array([point[0], point[1]]) / max(np.hypot(point[0], point[1]), 1e-6)
    return np.array([-reach[1], reach[0], 0.0])
