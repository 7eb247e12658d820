"""The hierarchical loop: a control thread that only dispatches, a worker thread that runs the model.

Hi Robot's pattern (language at about 1 Hz, actions at the control rate), arranged so a slow model
never stalls the arm:

* :meth:`HierarchicalRuntime.tick` runs at the control rate (50 Hz) on the caller's thread. It
  never calls the model; it takes the window of the blended action schedule due next and hands it
  to :meth:`RuntimeOutputs.trajectory`, or holds the arm when it must not move (paused, stopped,
  heartbeat stale, an observation stale or missing: actions computed from a frozen view of the
  world are not followed).
* A worker thread runs one model call at a time, in this order of priority: questions about the
  scene, interjections (new plan and speech), the first subtask, an action chunk when fewer than
  ``refill_s`` seconds of actions remain, the memory after a subtask ended, the next subtask
  (every ``1 / subtask_hz`` s). Each call sees the latest observation.
* A new chunk takes over from the running one by ``chunk_blending``: a cross-fade over ``blend_s``
  (:mod:`.schedule`), or real-time chunking (``rtc``): the policy gets the running schedule's next
  steps and the inference delay (the largest recent chunk latency, in steps) and is guided onto them
  while it samples; its chunk then replaces the old one from now on.
* Prompts are the recipe's (:mod:`lerobot_ros.policies.prompts`); text that comes back empty or
  malformed is rejected with a reason, counted and reported, and the previous value stays.

A flat policy (``policy.talks`` False: LeRobot's ACT, Diffusion, ...) has no language head: no
subtask, memory, plan or answer is asked for; a task runs it, and each chunk's prompt is the task
alone. Questions and interjections are refused with a ValueError saying so.

All state sits behind one lock; outputs are called outside it. A model error is not swallowed: the
worker stores it, holds the arm, tells ``on_failure`` and re-raises (policy_node reports it and exits
at once).
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Protocol, Sequence

import numpy as np

from ..policies import prompts
from .heartbeat import Heartbeat
from .policy import LanguagePolicy, Observation
from .schedule import (ActionSchedule, RunningPrefix, clamp_to_limits, inference_delay, limit_steps, merge,
                       running_prefix)
from .text import Rejection, check_line, split_plan_and_say

log = logging.getLogger(__name__)
CROSSFADE, RTC = "crossfade", "rtc"
CHUNK_BLENDINGS = (CROSSFADE, RTC)
LATENCIES_KEPT = 100  # the inference delay is the largest of the last this many chunk latencies (LeRobot's)


class Mode(str, Enum):
    IDLE = "idle"  # no session yet (start, or a task with start_on_task)
    RUNNING = "running"
    PAUSED = "paused"  # the arm holds; task, plan and memory are kept; questions are still answered
    STOPPED = "stopped"  # the arm holds; the task and its language state are cleared


@dataclass(frozen=True)
class RuntimeConfig:
    """Rates and limits of the runtime; every time is in seconds, every angle in radians."""

    control_hz: float = 50.0  # dispatch rate
    subtask_hz: float = 1.0  # how often the subtask is asked for
    refill_s: float = 0.5  # ask for a new chunk when fewer seconds of actions than this remain
    blend_s: float = 0.2  # cross-fade from the old chunk to the new one over this time
    # How a new chunk takes over from the running one: crossfade (over blend_s), or rtc (real-time
    # chunking: the policy is guided onto the running chunk's next steps; it replaces it from now on).
    chunk_blending: str = CROSSFADE
    horizon_s: float = 0.3  # each dispatched trajectory reaches this far ahead
    heartbeat_timeout_s: float = 1.0  # 0: no operator heartbeat needed
    max_step_rad: float = math.inf  # largest change of any joint per action step
    # The follower's (lower, upper) per joint, in state order; empty: unknown (nothing clamped).
    joint_limits_rad: tuple[tuple[float, float], ...] = ()
    # Trailing action columns that are a mobile base's velocity (LeKiwi: x, y in m/s, theta in rad/s),
    # not joint positions: neither joint limits nor max_step_rad apply (robot_node caps wheel speeds).
    base_columns: int = 0
    memory: bool = True  # update the memory when a subtask ends
    start_on_task: bool = True  # a new task starts the session
    # Empty: a question is answered once, seeing every camera (as the shipped recipe trains VQA: the
    # chat tokenizer drops image blocks and training feeds all cameras). Image features: one answer
    # per camera, the model seeing only that camera (LeRobot's ask_vqa_<camera>).
    vqa_cameras: tuple[str, ...] = ()
    max_text_chars: int = 400

    def __post_init__(self) -> None:
        for name in ("control_hz", "subtask_hz", "horizon_s"):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"runtime {name} must be positive, got {getattr(self, name)}")
        for name in ("refill_s", "blend_s", "heartbeat_timeout_s"):
            if not getattr(self, name) >= 0.0:
                raise ValueError(f"runtime {name} must be >= 0, got {getattr(self, name)}")
        if not self.max_step_rad > 0.0:
            raise ValueError(f"runtime max_step_rad must be positive (inf = no cap), got {self.max_step_rad}")
        if self.base_columns < 0:
            raise ValueError(f"runtime base_columns must be >= 0, got {self.base_columns}")
        if self.chunk_blending not in CHUNK_BLENDINGS:
            raise ValueError(f"runtime chunk_blending {self.chunk_blending!r} is not one of "
                             f"{', '.join(CHUNK_BLENDINGS)}")
        bad = [i for i, (lower, upper) in enumerate(self.joint_limits_rad) if not lower < upper]
        if bad:
            raise ValueError(f"runtime joint_limits_rad: lower must be below upper, not so for joints {bad}")

    @property
    def limits_array(self) -> np.ndarray | None:
        """``joint_limits_rad`` as a (joints, 2) array; None when no limits are known."""
        return np.asarray(self.joint_limits_rad, dtype=float) if self.joint_limits_rad else None

    def column_bounds(self, columns: int) -> tuple[np.ndarray | None, np.ndarray]:
        """(limits, per-step caps) for each of ``columns`` action columns: the joints', then none
        for the base's velocity columns."""
        joints = columns - self.base_columns
        caps = np.concatenate((np.full(joints, self.max_step_rad), np.full(self.base_columns, np.inf)))
        limits = self.limits_array
        if limits is not None and self.base_columns:
            limits = np.vstack((limits, np.tile([-np.inf, np.inf], (self.base_columns, 1))))
        return limits, caps


class RuntimeOutputs(Protocol):
    """Where the runtime's results go (the node publishes them). Text outputs come from the worker
    thread, trajectory/hold from the control thread."""

    def subtask(self, text: str) -> None: ...

    def plan(self, text: str) -> None: ...

    def memory(self, text: str) -> None: ...

    def say(self, text: str) -> None: ...

    def vqa_answer(self, camera: str, question: str, answer: str) -> None:
        """``camera``: the image feature the answer is about; empty when the model saw every camera."""

    def trajectory(self, window: ActionSchedule, now_s: float) -> None:
        """Follow ``window`` (targets at absolute monotonic times, all after ``now_s``)."""

    def hold(self) -> None:
        """Stop the arm where it is now."""


@dataclass
class RuntimeDiagnostics:
    """Counters for /diagnostics; ``rejected`` counts rejected texts by (question, reason)."""

    rejected: collections.Counter = field(default_factory=collections.Counter)
    last_rejected: str = ""
    text_calls: int = 0
    chunks: int = 0
    chunks_discarded: int = 0  # computed before a pause, stop or stale heartbeat: never dispatched
    chunk_latency_s: float = math.nan  # the last chunk: observation to schedule
    inference_delay_steps: int = 0  # rtc: the delay the last chunk was guided with
    clamped_values: int = 0  # joint values limited by max_step_rad
    limited_values: int = 0  # joint values clamped into the follower's joint limits
    dispatched: int = 0
    starved_ticks: int = 0  # running, but no action was due (the model is slower than the chunks)
    stale_heartbeat_ticks: int = 0
    stale_observation_ticks: int = 0  # running, but an input was stale or missing: the arm held
    missing_observation: int = 0  # the worker wanted to run but an input was missing

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@dataclass(frozen=True)
class _Question:
    text: str
    camera: str | None  # None: every camera


class HierarchicalRuntime:
    """The runtime; ``observe()`` returns the latest Observation, or None while an input is missing."""

    def __init__(self, policy: LanguagePolicy, config: RuntimeConfig, observe: Callable[[], Observation | None],
                 outputs: RuntimeOutputs, clock: Callable[[], float] = time.monotonic,
                 on_failure: Callable[[BaseException], None] | None = None):
        self.policy = policy
        self.config = config
        self.talks = getattr(policy, "talks", True)  # False: a flat policy, actions only
        self.outputs = outputs
        self._observe = observe
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self.heartbeat = Heartbeat(config.heartbeat_timeout_s)
        self.diagnostics = RuntimeDiagnostics()
        self.failure: BaseException | None = None
        self._on_failure = on_failure  # told on the worker thread as soon as the model fails
        self.mode = Mode.IDLE
        self.task: str | None = None
        self.plan: str | None = None
        self.memory: str | None = None
        self.subtask: str | None = None
        self._questions: collections.deque[_Question] = collections.deque()
        self._interjections: collections.deque[str] = collections.deque()
        self._completed_subtask: str | None = None  # memory update pending for it
        self._next_subtask_s = -math.inf
        self._schedule: ActionSchedule | None = None
        self._latencies: collections.deque[float] = collections.deque(maxlen=LATENCIES_KEPT)
        self._motion_epoch = 0  # bumped whenever motion is dropped; chunks of an older epoch are discarded
        self._dispatching = False
        self._worker = threading.Thread(target=self._work, name="policy-worker", daemon=True)

    # -- life cycle ---------------------------------------------------------------------------------

    def start_worker(self) -> None:
        self._worker.start()

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop the worker (after the model call in progress) and hold the arm."""
        self._closing.set()
        self._wake.set()
        if self._worker.is_alive():
            self._worker.join(timeout_s)
        with self._lock:
            self._drop_motion()

    # -- operator and user inputs (any thread) ------------------------------------------------------

    def set_task(self, task: str) -> None:
        """A new task: the language state starts over; with ``start_on_task`` the session runs."""
        task = " ".join(task.split())
        if not task:
            raise ValueError("the task is empty")
        with self._lock:
            self.task, self.plan, self.memory, self.subtask = task, None, None, None
            self._completed_subtask = None
            self._next_subtask_s = -math.inf
            hold = self._drop_motion()
            if self.config.start_on_task:
                self.mode = Mode.RUNNING
        self._hold_if(hold)
        self._wake.set()

    def start(self) -> str:
        """Run (or resume); returns a message for the caller (a service response)."""
        with self._lock:
            self.mode = Mode.RUNNING
            message = f"running: {self.task}" if self.task else "running; waiting for a task"
        self._wake.set()
        return message

    def pause(self) -> str:
        with self._lock:
            self.mode = Mode.PAUSED
            hold = self._drop_motion()
        self._hold_if(hold)
        return "paused: the arm holds; start resumes the task"

    def stop(self) -> str:
        with self._lock:
            self.mode = Mode.STOPPED
            self.task = self.plan = self.memory = self.subtask = None
            self._completed_subtask = None
            self._interjections.clear()
            hold = self._drop_motion()
        self._hold_if(hold)
        return "stopped: the arm holds; the task is cleared"

    def beat(self) -> None:
        """The operator's heartbeat."""
        with self._lock:
            self.heartbeat.beat(self._clock())

    def interject(self, text: str) -> None:
        """What the user said: a new plan and a spoken reply (without a task yet, it becomes the task)."""
        text = " ".join(text.split())
        if not text:
            raise ValueError("the interjection is empty")
        self._needs_language("an interjection")
        with self._lock:
            no_task = self.task is None
            if not no_task:
                self._interjections.append(text)
        if no_task:
            self.set_task(text)
        self._wake.set()

    def ask(self, question: str) -> None:
        """A question about the scene: one answer, or one per camera of ``vqa_cameras``."""
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        self._needs_language("a question")
        cameras = self.config.vqa_cameras or (None,)
        with self._lock:
            self._questions.extend(_Question(question, camera) for camera in cameras)
        self._wake.set()

    def _needs_language(self, what: str) -> None:
        if not self.talks:
            raise ValueError(f"{what} needs a policy with a language head; this one only acts (give it a task)")

    # -- the control thread ---------------------------------------------------------------------------

    def tick(self, now_s: float) -> None:
        """One control period: dispatch the actions due next, or hold when the arm must not move."""
        window = None
        seeing = self.mode is not Mode.RUNNING or self._observe() is not None  # observe() takes no runtime lock
        with self._lock:
            may_move = self.mode is Mode.RUNNING and self.heartbeat.fresh(now_s) and seeing
            if not may_move:
                if self.mode is Mode.RUNNING:
                    if seeing:
                        self.diagnostics.stale_heartbeat_ticks += 1
                    else:
                        self.diagnostics.stale_observation_ticks += 1
                hold = self._drop_motion()
            else:
                hold = False
                if self._schedule is not None:
                    window = self._schedule.window(now_s, self.config.horizon_s)
                if window is None and self.task is not None:
                    self.diagnostics.starved_ticks += 1
                if window is not None:
                    self._dispatching = True
                    self.diagnostics.dispatched += 1
                if self._schedule is not None and self._schedule.remaining_s(now_s) < self.config.refill_s:
                    self._wake.set()
        self._hold_if(hold)
        if window is not None:
            self.outputs.trajectory(window, now_s)

    def _drop_motion(self) -> bool:
        """Forget the schedule (lock held); True when the arm was moving and must be told to hold."""
        self._schedule = None
        self._motion_epoch += 1
        was_dispatching, self._dispatching = self._dispatching, False
        return was_dispatching

    def _hold_if(self, hold: bool) -> None:
        if hold:
            self.outputs.hold()

    # -- the worker thread ---------------------------------------------------------------------------

    def _work(self) -> None:
        try:
            while not self._closing.is_set():
                if not self.run_next_job():
                    self._wake.wait(0.02)
                    self._wake.clear()
        except BaseException as err:  # recorded for the node, the arm held, then raised again
            self.failure = err
            with self._lock:
                self.mode = Mode.STOPPED
                hold = self._drop_motion()
            self._hold_if(hold)
            if self._on_failure is not None:
                self._on_failure(err)
            raise

    def run_next_job(self) -> bool:
        """Run the most urgent model call, if any is due; False when there was nothing to do.

        Called by the worker thread; tests call it directly to step the scheduling.
        """
        job = self._next_job(self._clock())
        if job is None:
            return False
        observation = self._observe()
        if observation is None:
            with self._lock:
                self.diagnostics.missing_observation += 1
            return False
        job(observation)
        return True

    def _next_job(self, now_s: float) -> Callable[[Observation], None] | None:
        with self._lock:
            if self._questions:
                question = self._questions.popleft()
                return lambda obs: self._answer(question, obs)
            if self._interjections:
                text = self._interjections.popleft()
                return lambda obs: self._reply(text, obs)
            if self.mode is not Mode.RUNNING or self.task is None:
                return None
            if not self.talks:
                fresh = self.heartbeat.fresh(now_s)
                low = self._schedule is None or self._schedule.remaining_s(now_s) < self.config.refill_s
                return self._act if fresh and low else None
            if self.subtask is None:
                return self._ask_subtask if now_s >= self._next_subtask_s else None
            needs_actions = (self.heartbeat.fresh(now_s) and
                             (self._schedule is None or self._schedule.remaining_s(now_s) < self.config.refill_s))
            if needs_actions:
                return self._act
            if self._completed_subtask is not None:
                return self._update_memory
            if now_s >= self._next_subtask_s:
                return self._ask_subtask
            return None

    def _language(self) -> tuple[str, str | None, str | None, str | None, int]:
        with self._lock:
            return self.task, self.plan, self.memory, self.subtask, self._motion_epoch

    def _generate(self, messages: Sequence[dict], observation: Observation) -> str:
        text = self.policy.generate(messages, observation)
        with self._lock:
            self.diagnostics.text_calls += 1
        return text

    def _reject(self, question: str, reason: Rejection, raw: str) -> None:
        with self._lock:
            self.diagnostics.rejected[(question, str(reason))] += 1
            self.diagnostics.last_rejected = f"{question}: {reason}: {raw[:80]!r}"
        log.warning("rejected generated %s (%s): %r", question, reason, raw[:200])

    def _ask_subtask(self, observation: Observation) -> None:
        task, plan, memory, _, _ = self._language()
        with self._lock:
            self._next_subtask_s = self._clock() + 1.0 / self.config.subtask_hz
        raw = self._generate(prompts.subtask_messages(task, plan, memory), observation)
        checked = check_line(raw, self.config.max_text_chars)
        if not checked.ok:
            self._reject("subtask", checked.rejection, raw)
            return
        with self._lock:
            if self.task != task:  # the task changed while the model ran
                return
            changed = checked.text != self.subtask
            if changed:
                if self.subtask is not None and self.config.memory:
                    self._completed_subtask = self.subtask
                self.subtask = checked.text
        if changed:
            self.outputs.subtask(checked.text)

    def _update_memory(self, observation: Observation) -> None:
        task, plan, memory, _, _ = self._language()
        with self._lock:
            completed, self._completed_subtask = self._completed_subtask, None
        raw = self._generate(prompts.memory_update_messages(task, plan, memory, completed), observation)
        checked = check_line(raw, self.config.max_text_chars)
        if not checked.ok:
            self._reject("memory", checked.rejection, raw)
            return
        with self._lock:
            if self.task != task:
                return
            changed = checked.text != self.memory
            self.memory = checked.text
        if changed:
            self.outputs.memory(checked.text)

    def _reply(self, interjection: str, observation: Observation) -> None:
        task, plan, memory, _, _ = self._language()
        if task is None:  # stopped while the interjection waited
            return
        raw = self._generate(prompts.interjection_messages(task, plan, memory, interjection),
                             observation)
        reply = split_plan_and_say(raw, self.config.max_text_chars)
        if isinstance(reply, Rejection):
            self._reject("interjection", reply, raw)
            return
        with self._lock:
            if self.task != task:
                return
            if reply.plan:
                self.plan = reply.plan
                self._next_subtask_s = -math.inf  # the next subtask follows the new plan
        if reply.plan:
            self.outputs.plan(reply.plan)
        for speech in reply.say:
            self.outputs.say(speech)

    def _answer(self, question: _Question, observation: Observation) -> None:
        seen = observation
        if question.camera is not None:
            if question.camera not in observation.images:
                raise ValueError(f"question for camera {question.camera!r}, but the observation has only "
                                 f"{', '.join(sorted(observation.images))}")
            seen = dataclasses.replace(observation, images={question.camera: observation.images[question.camera]})
        raw = self._generate(prompts.vqa_messages(question.text), seen)
        checked = check_line(raw, 4 * self.config.max_text_chars)
        if not checked.ok:
            self._reject("vqa", checked.rejection, raw)
            return
        self.outputs.vqa_answer(question.camera or "", question.text, checked.text)

    def _act(self, observation: Observation) -> None:
        task, plan, memory, subtask, epoch = self._language()
        if task is None:  # stopped since the job was chosen
            return
        messages = prompts.action_messages(task, plan, memory, subtask) if self.talks else [
            {"role": "user", "content": task}]
        rtc = self.config.chunk_blending == RTC
        prefix = self._running_prefix(observation) if rtc else None
        if prefix is None:
            chunk = np.asarray(self.policy.action_chunk(messages, observation))
        else:
            chunk = np.asarray(self.policy.action_chunk(messages, observation, rtc=prefix))
        joints = observation.start_rad.shape[0]
        if chunk.ndim != 2 or chunk.shape[1] != joints:
            raise ValueError(f"the policy returned actions of shape {chunk.shape}; expected (steps, "
                             f"{joints}) for the {joints} joints")
        new = ActionSchedule.from_chunk(chunk, observation.stamp_s, self.policy.chunk_fps)
        with self._lock:
            now_s = self._clock()
            if epoch != self._motion_epoch or self.mode is not Mode.RUNNING:
                self.diagnostics.chunks_discarded += 1
                return
            old = self._schedule
            merged = merge(old, new, now_s, 0.0 if rtc else self.config.blend_s)
            if merged is None:  # the whole chunk was due before it was ready
                self.diagnostics.chunks_discarded += 1
                return
            start = old.at(now_s) if old is not None else observation.start_rad
            limits, caps = self.config.column_bounds(merged.positions.shape[1])
            merged, limited = clamp_to_limits(merged, limits)
            merged, clamped = limit_steps(merged, start, caps)
            self.diagnostics.limited_values += limited
            self._schedule = merged
            self.diagnostics.chunks += 1
            self.diagnostics.clamped_values += clamped
            self.diagnostics.chunk_latency_s = now_s - observation.stamp_s
            self._latencies.append(now_s - observation.stamp_s)
            if prefix is not None:
                self.diagnostics.inference_delay_steps = prefix.inference_delay

    def _running_prefix(self, observation: Observation) -> RunningPrefix | None:
        """For rtc: the running schedule at the new chunk's steps, and the delay in steps that the
        largest recent latency gives (None for the first chunk, or when the schedule has ended)."""
        fps = self.policy.chunk_fps
        with self._lock:
            old = self._schedule
            latency = max(self._latencies, default=0.0)
        if old is None:
            return None
        return running_prefix(old, observation.stamp_s, fps, inference_delay(latency, fps))

    # -- reporting ---------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, str]:
        """The state and counters as strings, for /diagnostics."""
        now_s = self._clock()
        with self._lock:
            d = self.diagnostics
            values = {
                "mode": self.mode.value, "task": self.task or "", "plan": self.plan or "",
                "subtask": self.subtask or "", "memory": self.memory or "",
                "heartbeat_age_s": f"{self.heartbeat.age_s(now_s):.2f}" if self.heartbeat.enabled else "disabled",
                "text_calls": str(d.text_calls), "rejected_texts": str(d.rejected_total),
                "last_rejected": d.last_rejected, "chunks": str(d.chunks),
                "chunks_discarded": str(d.chunks_discarded), "chunk_latency_s": f"{d.chunk_latency_s:.3f}",
                "chunk_blending": self.config.chunk_blending, "inference_delay_steps": str(d.inference_delay_steps),
                "clamped_values": str(d.clamped_values), "limited_values": str(d.limited_values),
                "dispatched": str(d.dispatched),
                "starved_ticks": str(d.starved_ticks), "stale_heartbeat_ticks": str(d.stale_heartbeat_ticks),
                "stale_observation_ticks": str(d.stale_observation_ticks),
                "missing_observation": str(d.missing_observation),
            }
            for (question, reason), count in sorted(d.rejected.items()):
                values[f"rejected.{question}.{reason.replace(' ', '_')}"] = str(count)
        return values
