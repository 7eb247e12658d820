"""A task the simulated SO-101 can be taught: three phases of arm motion, seen by the sim camera.

The policy's end-to-end test and the dispatch benchmark train a tiny SmolVLA2 on it and run it
against robot_node (``port:=sim``) and camera_node (``source:=sim``). Frames are drawn with the
same renderer camera_node uses, at the size camera_node is started with, so what the policy sees
at run time is what it was trained on whenever the arm is where the training motion put it.

The texts (task, subtasks, memories, an interjection with a spoken reply and a new plan, a
VQA question) are the synthetic dataset's (:mod:`lerobot_ros.training.synthetic`), on this
scenario's phases: reach the cube (lean forward), grasp the cube (open the gripper, bend the
wrist), lift the cube (raise and turn the arm), then a rest in which the user interjects (several
frames); the question comes near the end of each phase.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..dataset import DatasetWriter, LanguageRow, VideoEncoding, say
from ..policies import prompts
from ..robots.tables import robot_type
from ..runtime.policy import LanguagePolicy, Observation
from ..training import synthetic
from ..sim.camera import ArmRenderer, SimCameraConfig

JOINTS = tuple(robot_type("so101_follower").joint_names)
CAMERA = "observation.images.front"
MEMORY_DELAY_FRAMES = 7  # a memory is written this many frames after its subtask starts
# The pose at the start of each phase and at the end (radians, in JOINTS order); the sim arm starts at 0.
# Every joint moves somewhere: a joint constant in the data gets a zero standard deviation, and
# normalization then turns the simulated servo's quantization (1.5 mrad) into a huge input (training
# floors that std, TrainConfig.min_state_std, but a joint that moves is the better lesson anyway).
KEY_POSES = np.array([
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 0.7, 0.6, 0.0, 0.3, 0.0],  # reached: leaning forward
    [0.0, 0.7, 0.6, 0.7, 0.3, 0.9],  # grasped: wrist bent, gripper open
    [0.7, 0.1, 0.6, 0.7, 0.6, 0.9],  # lifted: raised and turned
])


@dataclass(frozen=True)
class Scenario:
    episodes: int = 4
    # Extra episodes in which the arm strays from the motion while the commands stay on it (DART's
    # noise injection): the policy sees poses off the motion and learns the way back to it. A policy
    # that reads the state as text (pi0.5 discretizes it into prompt tokens) meets only unseen
    # tokens once its own chunk puts the arm a few bins off the motion, unless the data has them.
    strayed_episodes: int = 0
    stray_rad: float = 0.05  # the stationary standard deviation of the arm's offset from the motion
    frames_per_phase: int = 15
    rest_frames: int = 10
    fps: int = 10
    width: int = 128  # the sim camera's size at run time too
    height: int = 96

    @property
    def interjection_frames(self) -> tuple[int, ...]:
        """Frames where the user interjects: in the rest after the motion."""
        return tuple(range(self.motion_frames + 2, self.episode_length, 3))

    @property
    def question_frames(self) -> tuple[int, ...]:
        """Frames where the user asks where the cube is: near the end of each phase."""
        return tuple((phase + 1) * self.frames_per_phase - 2 for phase in range(len(synthetic.SUBTASKS)))

    def memory_delay(self, episode: int, phase: int) -> int:
        """Frames from the start of ``phase`` to its memory: MEMORY_DELAY_FRAMES, or in a strayed
        episode anywhere from 2 to it. At run time the memory is asked for when the subtask changes,
        which a policy querying at a few hertz notices a few frames into the phase; with every update
        sample at one frame, a tiny model reads the update off that frame's image and garbles it a
        few frames earlier (PI052: "the cube is" for "the cube is grasped" on 7 of the 10 frames
        before it)."""
        if episode < self.episodes:
            return MEMORY_DELAY_FRAMES
        return int(np.random.default_rng((episode, phase)).integers(2, MEMORY_DELAY_FRAMES + 1))

    def persistent_rows(self, episode: int = 0) -> list[LanguageRow]:
        """Subtasks and memories, and a new plan at each interjection.

        No plan before the first interjection: the shipped recipe trains nothing that writes the plan
        a task starts with, so at run time the plan is empty until the first interjection, and so it
        is in this data (the interjections come after the motion for that reason).

        A memory is written once, MEMORY_DELAY_FRAMES after its phase starts (earlier in strayed
        episodes: :meth:`memory_delay`), as at run time, where
        the memory is asked for once the subtask has changed: the new subtask must then follow from
        the image under the old memory, and the data shows it so (with the memory written at the
        phase start, the memory alone predicts the subtask in training, and a run stalls at the
        first boundary the image does not carry on its own).

        Once, not repeated through the phase: a repeated memory row is a memory_update sample whose
        prior memory is its own text ("the cube is reached" after "the cube is reached"), so late
        in each phase the data taught "this image -> keep the memory" while the real update came
        only 7 frames into the next phase. A tiny model then learned the memory from the image
        alone, its image boundary fell on the subtask's, and the update asked right after the
        subtask changed came out either way (scored along the motion: 14 of 45 frames gave the old
        memory; without repeats 0 of 45, for three seeds and for 1000 or 1500 steps).
        """
        rows = []
        for phase, (subtask, memory) in enumerate(zip(synthetic.SUBTASKS, synthetic.MEMORIES)):
            start = phase * self.frames_per_phase
            rows.append(LanguageRow(role="assistant", content=subtask, style="subtask", timestamp=start / self.fps))
            if memory is not None:
                rows.append(LanguageRow(role="assistant", content=memory, style="memory",
                                        timestamp=(start + self.memory_delay(episode, phase)) / self.fps))
        rows += [LanguageRow(role="assistant", content=synthetic.NEW_PLAN, style="plan", timestamp=f / self.fps)
                 for f in self.interjection_frames]
        return rows

    def event_rows(self, frame: int) -> list[LanguageRow]:
        if frame in self.interjection_frames:
            return [LanguageRow(role="user", content=synthetic.INTERJECTION, style="interjection"),
                    say(synthetic.REPLY)]
        if frame in self.question_frames:
            return [LanguageRow(role="user", content=synthetic.VQA_QUESTION, style="vqa", camera=CAMERA),
                    LanguageRow(role="assistant", content=synthetic.VQA_ANSWER, style="vqa", camera=CAMERA)]
        return []

    @property
    def motion_frames(self) -> int:
        return len(synthetic.SUBTASKS) * self.frames_per_phase

    @property
    def episode_length(self) -> int:
        """The motion, then a rest at the last pose (still lifting) where the user interjects."""
        return self.motion_frames + self.rest_frames

    def target(self, frame: int) -> np.ndarray:
        """The commanded pose at ``frame``: from one key pose to the next at constant speed.

        Constant, not eased: the arm keeps moving through the key poses, so every pose of the motion
        belongs to one phase (an eased motion rests at the key poses, where the end of one phase and
        the start of the next look the same to the policy).
        """
        phase, offset = divmod(min(frame, self.motion_frames - 1) + 1, self.frames_per_phase)
        if phase >= len(KEY_POSES) - 1:
            return KEY_POSES[-1].copy()
        return KEY_POSES[phase] + offset / self.frames_per_phase * (KEY_POSES[phase + 1] - KEY_POSES[phase])

    def path(self, samples_per_frame: int = 10) -> np.ndarray:
        """The whole motion from the start pose, finely sampled (for distance-to-path checks)."""
        keys = np.array([self.target(f) for f in range(-1, self.motion_frames)])
        t = np.linspace(0, len(keys) - 1, (len(keys) - 1) * samples_per_frame + 1)
        return np.stack([np.interp(t, np.arange(len(keys)), keys[:, j]) for j in range(keys.shape[1])], axis=1)

    def observed_states(self, episode: int) -> np.ndarray:
        """Where the arm is at each frame of ``episode``: where the previous command put it, or, in a
        strayed episode, off that by a slowly varying offset (an AR(1) walk, so neighbouring frames
        stray alike, as an arm that lags or overshoots does), kept inside the motion's joint ranges."""
        states = np.array([self.target(frame - 1) for frame in range(self.episode_length)])
        if episode < self.episodes:
            return states
        rng = np.random.default_rng(episode)
        keep = 0.8
        offset = np.zeros(states.shape[1])
        for frame in range(len(states)):
            offset = keep * offset + rng.normal(0.0, self.stray_rad * np.sqrt(1 - keep**2), offset.shape)
            states[frame] += offset
        return np.clip(states, KEY_POSES.min(axis=0), KEY_POSES.max(axis=0))

    def camera_config(self) -> SimCameraConfig:
        return SimCameraConfig(width=self.width, height=self.height, fps=float(self.fps))


def write_scenario_dataset(root: str | Path, scenario: Scenario = Scenario()) -> Path:
    """Write ``scenario.episodes`` identical annotated episodes of the motion, then its strayed
    episodes, to the new folder ``root``. Every episode's commands follow the motion."""
    renderer = ArmRenderer(scenario.camera_config())
    features = {key: {"dtype": "float32", "shape": [len(JOINTS)], "names": list(JOINTS)}
                for key in ("observation.state", "action")}
    features[CAMERA] = {"dtype": "video", "shape": [scenario.height, scenario.width, 3],
                        "names": ["height", "width", "channels"]}
    writer = DatasetWriter.create(root, scenario.fps, features, robot_type="so101_follower",
                                  video=VideoEncoding(codec="libx264", preset="ultrafast"), language=True)
    try:
        for episode in range(scenario.episodes + scenario.strayed_episodes):
            for frame, state in enumerate(scenario.observed_states(episode)):
                writer.add_frame({"observation.state": state.astype(np.float32),
                                  "action": scenario.target(frame).astype(np.float32),
                                  CAMERA: renderer.render(dict(zip(JOINTS, state)))},
                                 task=synthetic.TASK, language_events=scenario.event_rows(frame))
            writer.save_episode(language_persistent=scenario.persistent_rows(episode))
    finally:
        writer.close()
    return Path(root)


def wrong_memory_updates(policy: LanguagePolicy, scenario: Scenario = Scenario(), *,
                         next_phase_only: bool = False) -> list[tuple[int, str, str]]:
    """(frame, completed subtask, memory written) wherever a policy trained on ``scenario`` writes
    another memory than the annotation's for the update after each subtask (prior memory +
    completed subtask), at every frame of the motion, or with ``next_phase_only`` at every frame of
    the phase after that subtask, where the runtime asks for the update."""
    renderer = ArmRenderer(scenario.camera_config())
    subtasks, memories = synthetic.SUBTASKS, synthetic.MEMORIES
    wrong = []
    for frame in range(scenario.motion_frames):
        state = scenario.target(frame - 1)
        seen = Observation({CAMERA: renderer.render(dict(zip(JOINTS, state)))}, state, 0.0)
        for phase in (0, 1):  # the update after subtask `phase` ends: prior memory -> the next one
            if next_phase_only and frame // scenario.frames_per_phase != phase + 1:
                continue
            messages = prompts.memory_update_messages(synthetic.TASK, None, memories[phase], subtasks[phase])
            written = policy.generate(messages, seen)
            if written != memories[phase + 1]:
                wrong.append((frame, subtasks[phase], written))
    return wrong
