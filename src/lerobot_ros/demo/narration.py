"""What the demo's annotator says beside the scripted expert's own narration (plain Python, no ROS).

The expert narrates a subtask per phase and the memory of the phase before, and no plan
(:mod:`lerobot_ros.scenarios.pick_place_expert`). A person recording a demonstration for a
language policy adds more: a question about the camera's view with its answer (VQA), and an
interjection ("please be gentle with it") that the robot answers aloud with a new plan. Their times
follow the expert's phases, so they land in the same phase of every take: the question while the
arm reaches for the cube, the interjection while it goes down to grasp it.
"""

from __future__ import annotations

import json

import numpy as np

from ..scenarios.pick_place_expert import Cue, Trajectory
from ..sim.physics.world import PhysicsWorld

VQA_TOPICS = ("vqa/front/query", "vqa/front/answer")  # config/recording/so101_sim_demo.yaml
TOPICS = (*VQA_TOPICS, "user_input", "say", "plan")
QUESTION = "where is the red cube?"
INTERJECTION = "please be gentle with it"
REPLY = "Okay, I will be gentle."
NEW_PLAN = "1. reach the cube 2. grasp it gently 3. lift it 4. carry it to the green square 5. put it down 6. move back"
QUESTION_PHASE, INTERJECTION_PHASE = 0, 1  # reach above the cube; lower the gripper and grasp it
INTO_PHASE_S = 0.4  # how far into its phase each moment comes


def cube_in_view(world: PhysicsWorld, camera: str, width: int, height: int) -> tuple[int, int]:
    """The red cube's centre in ``camera``'s image of ``width`` x ``height`` pixels (x right, y down),
    projected through the camera as MuJoCo renders it: what a person answers pointing at the screen."""
    with world.lock:
        cube = np.array(world.task.object_state(world.model, world.data)["cube_pos"])
        cam = world.model.camera(camera).id
        eye, axes = world.data.cam_xpos[cam].copy(), world.data.cam_xmat[cam].reshape(3, 3).copy()
        fovy = float(world.model.cam_fovy[cam])
    x, y, z = axes.T @ (cube - eye)  # camera frame: x right, y up, looking along -z
    focal = 0.5 * height / np.tan(np.radians(fovy) / 2)
    u, v = 0.5 * width + focal * x / -z, 0.5 * height - focal * y / -z
    return int(np.clip(round(u), 0, width - 1)), int(np.clip(round(v), 0, height - 1))


def vqa_answer(point: tuple[int, int]) -> str:
    """The answer in the pointing format of the recipe's VQA rows (as training/synthetic.py writes it)."""
    return json.dumps({"label": "red cube", "point_format": "xy", "point": list(point)})


def extra_cues(plan: Trajectory, answer: str) -> list[Cue]:
    """The take's question with its ``answer`` and its interjection with the spoken reply and the new
    plan, at plan times within the expert's phases. Cues that belong together share a moment, so they
    land on one frame (the recipe pairs a question with its answer, an interjection with its reply)."""
    question = plan.phase_start_s(QUESTION_PHASE) + INTO_PHASE_S
    interjection = plan.phase_start_s(INTERJECTION_PHASE) + INTO_PHASE_S
    return [Cue(question, VQA_TOPICS[0], QUESTION), Cue(question, VQA_TOPICS[1], answer),
            Cue(interjection, "user_input", INTERJECTION), Cue(interjection, "say", REPLY),
            Cue(interjection, "plan", NEW_PLAN)]
