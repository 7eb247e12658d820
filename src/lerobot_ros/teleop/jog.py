"""Joint jogging: normalized inputs (-1..1 per joint) and a deadman -> bounded joint position targets.

A jog moves targets, not the arm: each command advances the jogged joints' targets by at most
``max_joint_speed_rad_s * dt``, never lets a target lead the present position (from joint_states)
by more than ``max_step_rad`` (so a stalled or lagging arm is never handed a far-away goal that it
would jump to), and keeps targets inside the joint limits. Releasing the deadman (or a key timing
out) freezes the jogged joints at their present pose, so the arm stops where it is instead of
finishing the last step. Joints that are not being jogged are left out of the commands and so keep
whatever the driver holds for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

from ..robots.tables import robot_type

# Joints without nominal limits in their table (Koch, OMX, HopeJR) are jogged within one turn;
# robot_node still clamps every command to the calibrated range.
UNLIMITED_RAD = (-math.pi, math.pi)


@dataclass(frozen=True)
class JogConfig:
    max_joint_speed_rad_s: float = 0.5
    max_step_rad: float = 0.1  # largest lead of a target over the present position

    def __post_init__(self):
        if not self.max_joint_speed_rad_s > 0:
            raise ValueError(f"max_joint_speed_rad_s={self.max_joint_speed_rad_s} must be positive")
        if not self.max_step_rad > 0:
            raise ValueError(f"max_step_rad={self.max_step_rad} must be positive")


@dataclass(frozen=True)
class JogCommand:
    """Position targets for some joints (a single-point trajectory); ``stop`` when it freezes a jog."""

    joint_names: tuple[str, ...]
    positions_rad: tuple[float, ...]
    stop: bool = False


def clean_input(value: float) -> float:
    """An input clamped to -1..1; NaN (a broken axis) counts as released."""
    return 0.0 if math.isnan(value) else max(-1.0, min(1.0, float(value)))


class JogController:
    """Targets for ``joint_names`` (one normalized input each) within ``limits_rad``."""

    def __init__(self, joint_names: Sequence[str], limits_rad: Sequence[tuple[float, float]],
                 config: JogConfig = JogConfig()):
        if len(joint_names) != len(limits_rad):
            raise ValueError(f"{len(joint_names)} joints but {len(limits_rad)} limits")
        self.joint_names = tuple(joint_names)
        self.limits_rad = tuple((float(lo), float(hi)) for lo, hi in limits_rad)
        self.config = config
        self._targets: dict[int, float] = {}  # joint index -> target, for the joints jogged since the deadman

    @property
    def active(self) -> bool:
        return bool(self._targets)

    def missing_joints(self, present_rad: Mapping[str, float]) -> list[str]:
        return [n for n in self.joint_names if n not in present_rad]

    def update(self, present_rad: Mapping[str, float] | None, inputs: Sequence[float], deadman: bool,
               dt_s: float) -> JogCommand | None:
        """The command to send now, or None when there is nothing to send.

        ``present_rad``: the latest joint_states positions by name (None before the first one).
        While the deadman is held, every tick with a non-zero input yields the jogged joints'
        targets; with all inputs at zero the last targets stand (nothing is sent). Releasing the
        deadman yields one ``stop`` command holding the jogged joints at their present positions.
        """
        if len(inputs) != len(self.joint_names):
            raise ValueError(f"{len(inputs)} jog inputs for {len(self.joint_names)} joints")
        if present_rad is None:
            self._targets.clear()  # no pose to jog from: nothing was sent, nothing to stop
            return None
        missing = self.missing_joints(present_rad)
        if missing:
            raise ValueError(f"joint_states has no {', '.join(missing)}: check robot_type and joint_prefix")
        if not deadman:
            return self._freeze(present_rad)
        velocities = [clean_input(v) * self.config.max_joint_speed_rad_s for v in inputs]
        if not any(velocities):
            return None
        step_s = max(0.0, dt_s)
        for i, velocity in enumerate(velocities):
            if velocity == 0.0:
                continue
            present = present_rad[self.joint_names[i]]
            target = self._targets.get(i, present) + velocity * step_s
            target = min(present + self.config.max_step_rad, max(present - self.config.max_step_rad, target))
            lo, hi = self.limits_rad[i]
            # A joint already outside its limits may move back in, never further out.
            self._targets[i] = min(max(hi, present), max(min(lo, present), target))
        return self._command(self._targets, stop=False)

    def _freeze(self, present_rad: Mapping[str, float]) -> JogCommand | None:
        if not self._targets:
            return None
        frozen = {i: present_rad[self.joint_names[i]] for i in self._targets}
        self._targets.clear()
        return self._command(frozen, stop=True)

    def _command(self, targets: Mapping[int, float], stop: bool) -> JogCommand:
        order = sorted(targets)
        return JogCommand(tuple(self.joint_names[i] for i in order), tuple(targets[i] for i in order), stop)


def arm_joints(robot_type_name: str, joint_prefix: str = "") -> tuple[list[str], list[tuple[float, float]]]:
    """The jog-able joints of a robot type (its position-controlled motors, table order) and their limits."""
    joints = robot_type(robot_type_name).joints
    return ([joint_prefix + m.name for m in joints], [m.limits_rad or UNLIMITED_RAD for m in joints])
