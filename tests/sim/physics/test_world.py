"""The physics world: its model follows the description and the servo tables, episodes are seeded,
the success predicate means what it says, and the scripted expert's plan solves the task in the
physics alone (the ROS-graph run is tests/physics/test_expert_graph.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lerobot_ros.description.robots import DESCRIPTIONS
from lerobot_ros.description.urdf import table_limits
from lerobot_ros.scenarios.pick_place_expert import PickPlaceExpert, Trajectory
from lerobot_ros.sim.physics.mjcf import servo_gains
from lerobot_ros.sim.physics.world import PhysicsWorld
from lerobot_ros.robots.tables import robot_type
from lerobot_ros.sim.physics import mujoco


@pytest.fixture(scope="module")
def world() -> PhysicsWorld:
    return PhysicsWorld("so101_follower", "pick_place")


def test_the_arm_is_the_description_with_the_tables_limits_and_gains(world):
    rtype = robot_type("so101_follower")
    limits = table_limits(rtype)
    assert world.joint_names == rtype.joint_names
    for spec in rtype.joints:
        joint = world.model.joint(spec.name)
        assert tuple(world.model.jnt_range[joint.id]) == pytest.approx(limits[spec.name])
        gains = servo_gains(spec.model, spec.registers)
        act = world.model.actuator(spec.name).id
        assert world.model.actuator_gainprm[act, 0] == pytest.approx(gains.kp)
        assert world.model.actuator_forcerange[act, 1] == pytest.approx(gains.max_torque)
    # the gripper's Max_Torque_Limit 500 of 1000 halves its torque
    gripper = world.model.actuator("gripper").id
    assert world.model.actuator_forcerange[gripper, 1] == pytest.approx(world.model.actuator_forcerange[0, 1] / 2)
    # joint frames: the URDF's chain, so tool0 sits where the description's forward kinematics put it
    data = mujoco.MjData(world.model)
    mujoco.mj_kinematics(world.model, data)
    desc = DESCRIPTIONS["so101_follower"]()
    pan = next(j for j in desc.joints if j.name == "shoulder_pan")
    assert data.xpos[world.model.body("shoulder_link").id] == pytest.approx(pan.xyz)


def test_episodes_are_seeded_and_start_unsolved(world):
    first = world.reset_objects(7)
    cube_7 = world.object_state()["cube_pos"]
    other = world.reset_objects(8)
    assert other["cube_xy"] != first["cube_xy"]
    assert world.reset_objects(7) == first
    assert world.object_state()["cube_pos"] == pytest.approx(cube_7)
    assert not world.success()  # the cube never starts on the target


def test_a_cube_that_lands_on_the_target_unpicked_is_no_success(world):
    """Shoved or dropped onto the square without a grasp: the task is pick *and* place."""
    world.reset_objects(3)
    target = world.object_state()["target_xy"]
    qadr = world.model.jnt_qposadr[world.model.joint("cube").id]
    with world.lock:
        world.data.qpos[qadr:qadr + 3] = [*target, 0.1]  # above the square, falling
        mujoco.mj_forward(world.model, world.data)
    world.step(500)
    state = world.object_state()
    assert np.abs(state["cube_pos"][:2] - target).max() < 0.01 and state["cube_speed"] < 0.01  # resting on it
    assert not world.success()


def test_a_limp_joint_falls_and_a_stiff_one_holds(world):
    world.place_arm([0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    world.step(300)
    held = world.joint_state()[0][1]
    assert abs(held) < 0.1  # shoulder_lift holds the stretched arm within its gravity sag
    world.set_target(1, None)
    world.step(300)
    assert abs(world.joint_state()[0][1] - held) > 0.5
    world.set_target(1, 0.0)


@pytest.mark.parametrize("seed", range(6))
def test_the_expert_plan_solves_the_task_in_the_physics_alone(world, seed):
    """The plan the ROS-graph expert plays, given straight to the actuators: the physics and the
    plan work before any driver is involved."""
    expert = PickPlaceExpert(world)
    world.place_arm(expert.home)
    world.reset_objects(seed)
    plan = Trajectory(expert.waypoints())
    dt = world.model.opt.timestep
    over_target = plan.phase_start_s(4)  # carried over the square, still held
    held_success = None
    for k in range(math.ceil((plan.duration_s + 0.5) / dt)):
        for i, angle in enumerate(plan.pose(k * dt)):
            world.set_target(i, float(angle))
        world.step(1)
        if held_success is None and k * dt >= over_target:
            held_success = world.success()
    assert held_success is False  # picked, but not yet put down and let go
    assert world.success(), world.object_state()


def test_doing_nothing_fails(world):
    expert = PickPlaceExpert(world)
    world.place_arm(expert.home)
    world.reset_objects(0)
    world.step(2000)
    assert not world.success()
    assert np.linalg.norm(world.object_state()["cube_pos"][:2] - world.episode["cube_xy"]) < 1e-3


def test_the_paced_playback_waits_for_a_follower_that_fell_behind(world):
    from lerobot_ros.scenarios.pick_place_expert import PacedPlayback
    expert = PickPlaceExpert(world)
    world.place_arm(expert.home)
    world.reset_objects(0)
    plan = Trajectory(expert.waypoints())
    at_grasp = next(float(plan.times[i]) for i, w in enumerate(plan.waypoints) if w.reach is not None)
    grasp_pose = next(w.reach for w in plan.waypoints if w.reach is not None)
    clock = PacedPlayback(plan, max_wait_s=1.0)
    behind = expert.home  # the follower is still at home when the plan reaches the grasp
    assert clock.time(at_grasp - 0.1, behind) == pytest.approx(at_grasp - 0.1)
    assert clock.time(at_grasp + 0.5, behind) == at_grasp  # held at the grasp
    assert clock.time(at_grasp + 0.7, grasp_pose) == pytest.approx(at_grasp + 0.2)  # arrived: on, 0.5 s later
    assert clock.held_s == pytest.approx(0.5)
    clock = PacedPlayback(plan, max_wait_s=1.0)
    for t in np.arange(at_grasp, at_grasp + 1.2, 0.1):
        clock.time(float(t), behind)
    assert clock.time(at_grasp + 1.3, behind) > at_grasp  # gave up waiting after max_wait_s
