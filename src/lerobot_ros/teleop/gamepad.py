"""Gamepad teleop: SDL joystick events (through pygame) -> arm jogging or LeKiwi base driving.

Why pygame's joystick API: its wheels bundle SDL, so it installs from PyPI on any Linux without a
display server or kernel headers, and SDL knows most pads. SDL runs with its dummy video and audio
drivers, so no X server is needed (the node runs fine over SSH or as a service).

State is built from the event queue (JOYAXISMOTION, JOYBUTTONDOWN/UP, JOYHATMOTION, device
added/removed), never from polling a device: an unplugged pad reads as released (motion stops), and
events posted to pygame's queue drive exactly the code a real pad drives.

Mappings are strings, one per driven quantity, so they fit in ROS parameters:

* ``axis:N`` / ``-axis:N``: stick axis N (``-`` inverts; SDL reports up and left as negative),
* ``hat:N:x`` / ``hat:N:y`` (and ``-hat:...``): D-pad N (right and up are positive),
* ``buttons:P:M``: +1 while button P is held, -1 while button M is held,
* ``""``: not mapped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from .base_drive import BaseDrive
from .jog import JogController
from .output import TeleopOutput

# An Xbox 360 / One pad as SDL's joystick API numbers it on Linux (xpad, xone, Bluetooth xpadneo):
# axes 0/1 left stick x/y, 2 left trigger, 3/4 right stick x/y, 5 right trigger; buttons A 0, B 1,
# X 2, Y 3, LB 4, RB 5, Back 6, Start 7, Guide 8, left stick 9, right stick 10; hat 0 the D-pad.
XBOX_DEADMAN_BUTTON = 4  # LB
XBOX_MODE_BUTTON = 7  # Start: arm <-> base on a robot with both
# One per arm joint in table order (SO-101: shoulder_pan, shoulder_lift, elbow_flex, wrist_flex,
# wrist_roll, gripper; LeKiwi's arm_* likewise).
XBOX_ARM = ("-axis:0", "-axis:1", "-axis:4", "hat:0:y", "-axis:3", "buttons:3:0")
# forward, left, turn left
XBOX_BASE = ("-axis:1", "-axis:0", "-axis:3")


@dataclass(frozen=True)
class Control:
    """One input source read as -1..1."""

    kind: str  # "axis", "hat" or "buttons"
    index: int = 0  # axis or hat number
    hat_component: int = 0  # 0 = x, 1 = y
    plus_button: int = 0
    minus_button: int = 0
    sign: float = 1.0

    @classmethod
    def parse(cls, spec: str) -> Control | None:
        """A control from its mapping string (see the module docstring); None for ``""``."""
        text = spec.strip()
        if not text:
            return None
        sign = -1.0 if text.startswith("-") else 1.0
        parts = text.lstrip("-").split(":")
        try:
            if parts[0] == "axis" and len(parts) == 2:
                return cls("axis", index=int(parts[1]), sign=sign)
            if parts[0] == "hat" and len(parts) == 3 and parts[2] in ("x", "y"):
                return cls("hat", index=int(parts[1]), hat_component="xy".index(parts[2]), sign=sign)
            if parts[0] == "buttons" and len(parts) == 3 and sign > 0:
                return cls("buttons", plus_button=int(parts[1]), minus_button=int(parts[2]))
        except ValueError:
            pass
        raise ValueError(f"gamepad control {spec!r} is not one of axis:N, -axis:N, hat:N:x, hat:N:y, "
                         f"-hat:N:x, -hat:N:y, buttons:PLUS:MINUS or an empty string")

    def value(self, state: GamepadState, deadzone: float) -> float:
        if self.kind == "buttons":
            return float(state.button(self.plus_button)) - float(state.button(self.minus_button))
        if self.kind == "hat":
            return self.sign * float(state.hat(self.index)[self.hat_component])
        raw = state.axis(self.index)
        if abs(raw) <= deadzone:
            return 0.0
        # Rescale past the deadzone so the smallest non-zero command is small, not a jump to `deadzone`.
        magnitude = (abs(raw) - deadzone) / (1.0 - deadzone)
        return self.sign * (magnitude if raw > 0 else -magnitude)


@dataclass(frozen=True)
class GamepadMapping:
    arm: tuple[Control | None, ...]  # one per arm joint, table order
    base: tuple[Control | None, ...]  # forward, left, turn left
    deadman_button: int
    mode_button: int  # -1: none
    deadzone: float = 0.1

    def __post_init__(self):
        if len(self.base) != 3:
            raise ValueError(f"base mapping needs 3 controls (forward, left, turn left), got {len(self.base)}")
        if not 0.0 <= self.deadzone < 1.0:
            raise ValueError(f"deadzone={self.deadzone} must be in [0, 1)")

    @classmethod
    def from_specs(cls, arm: Sequence[str], base: Sequence[str], deadman_button: int, mode_button: int,
                   deadzone: float) -> GamepadMapping:
        return cls(tuple(Control.parse(s) for s in arm), tuple(Control.parse(s) for s in base),
                   deadman_button, mode_button, deadzone)

    @classmethod
    def xbox(cls) -> GamepadMapping:
        return cls.from_specs(XBOX_ARM, XBOX_BASE, XBOX_DEADMAN_BUTTON, XBOX_MODE_BUTTON, 0.1)

    def inputs(self, controls: Sequence[Control | None], state: GamepadState) -> list[float]:
        return [c.value(state, self.deadzone) if c is not None else 0.0 for c in controls]


@dataclass
class GamepadState:
    """One pad's axes (-1..1), buttons (0/1) and hats ((x, y) in -1..1), as its events left them."""

    axes: list[float] = field(default_factory=list)
    buttons: list[int] = field(default_factory=list)
    hats: list[tuple[int, int]] = field(default_factory=list)
    presses: set[int] = field(default_factory=set)  # buttons pressed since the previous poll

    def axis(self, i: int) -> float:
        return self.axes[i] if i < len(self.axes) else 0.0

    def button(self, i: int) -> bool:
        return i < len(self.buttons) and bool(self.buttons[i])

    def hat(self, i: int) -> tuple[int, int]:
        return self.hats[i] if i < len(self.hats) else (0, 0)

    def joy_axes(self) -> list[float]:
        """sensor_msgs/Joy axes: the stick axes, then each hat as two axes (x, y)."""
        return [*self.axes, *(float(v) for hat in self.hats for v in hat)]

    def copy(self) -> GamepadState:
        return GamepadState(list(self.axes), list(self.buttons), list(self.hats), set(self.presses))


def _set(values: list, i: int, value, fill) -> None:
    values.extend([fill] * (i + 1 - len(values)))
    values[i] = value


class GamepadUnavailable(RuntimeError):
    """pygame is missing, or SDL could not start its event queue or joystick subsystem."""


class PygameGamepad:
    """Pads through pygame's event queue; the pad that sent the latest event is the one in control."""

    def __init__(self):
        # Before pygame is imported: no window, no sound device, and events without window focus.
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        os.environ.setdefault("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1")
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        try:
            import pygame
        except ImportError:
            raise GamepadUnavailable("pygame is not installed: `pip install pygame` (or lerobot_ros[gamepad]), "
                                     "or `apt install python3-pygame` next to a ROS install") from None

        self.pygame = pygame  # the module whose event queue this reads (where events can be posted)
        try:
            pygame.display.init()  # owns SDL's event queue (dummy driver: no display needed)
            pygame.joystick.init()
        except pygame.error as err:
            raise GamepadUnavailable(f"SDL did not start ({err}); with SDL_VIDEODRIVER set, try unsetting it "
                                     "(the dummy driver needs no display)") from None
        self._open: dict[int, object] = {}  # instance id -> pygame Joystick (kept open to receive its events)
        self.states: dict[int, GamepadState] = {}
        self.names: dict[int, str] = {}
        self.active: int | None = None

    def poll(self) -> GamepadState | None:
        """Apply every queued event; the controlling pad's state (a copy), or None when there is none."""
        pg = self.pygame
        for state in self.states.values():
            state.presses.clear()
        for event in pg.event.get():
            if event.type == pg.JOYDEVICEADDED:
                joystick = pg.joystick.Joystick(event.device_index)
                self._open[joystick.get_instance_id()] = joystick
                self.names[joystick.get_instance_id()] = joystick.get_name()
                continue
            if event.type == pg.JOYDEVICEREMOVED:
                self._open.pop(event.instance_id, None)
                self.states.pop(event.instance_id, None)  # an unplugged pad is a released deadman
                if self.active == event.instance_id:
                    self.active = None
                continue
            if event.type not in (pg.JOYAXISMOTION, pg.JOYBUTTONDOWN, pg.JOYBUTTONUP, pg.JOYHATMOTION):
                continue
            state = self.states.setdefault(event.instance_id, GamepadState())
            self.active = event.instance_id
            if event.type == pg.JOYAXISMOTION:
                # SDL scales -32768..32767 by 1/32767: full left/up reads -1.00003.
                _set(state.axes, event.axis, max(-1.0, min(1.0, float(event.value))), 0.0)
            elif event.type == pg.JOYHATMOTION:
                _set(state.hats, event.hat, tuple(event.value), (0, 0))
            else:
                down = event.type == pg.JOYBUTTONDOWN
                _set(state.buttons, event.button, int(down), 0)
                if down:
                    state.presses.add(event.button)
        if self.active is None:
            return None
        return self.states[self.active].copy()

    def connected(self) -> int:
        return self.pygame.joystick.get_count()

    def close(self) -> None:
        self._open.clear()
        self.pygame.joystick.quit()
        self.pygame.display.quit()


ARM, BASE = "arm", "base"


class GamepadTeleop:
    """A pad's state -> jog commands (arm mode) or body velocities (base mode).

    With both an arm and a base (LeKiwi) the mode button switches between them; switching stops
    whatever the previous mode was moving.
    """

    def __init__(self, mapping: GamepadMapping, jog: JogController | None, base: BaseDrive | None,
                 mode: str):
        if mode not in (ARM, BASE):
            raise ValueError(f"gamepad mode {mode!r}: choose {ARM} or {BASE}")
        if (mode == ARM and jog is None) or (mode == BASE and base is None):
            raise ValueError(f"gamepad mode {mode!r}: this robot has no {mode}")
        if jog is not None and len(mapping.arm) > len(jog.joint_names):
            raise ValueError(f"gamepad arm mapping has {len(mapping.arm)} controls for "
                             f"{len(jog.joint_names)} joints ({', '.join(jog.joint_names)})")
        self.mapping, self.jog, self.base, self.mode = mapping, jog, base, mode

    def update(self, state: GamepadState | None, present_rad: Mapping[str, float] | None,
               dt_s: float) -> TeleopOutput:
        state = state if state is not None else GamepadState()  # no pad: everything released
        if (self.mapping.mode_button in state.presses and self.jog is not None and self.base is not None):
            self.mode = BASE if self.mode == ARM else ARM
        deadman = state.button(self.mapping.deadman_button)
        jog = base = None
        if self.jog is not None:
            inputs = self.mapping.inputs(self.mapping.arm, state)
            inputs += [0.0] * (len(self.jog.joint_names) - len(inputs))
            jog = self.jog.update(present_rad, inputs, deadman and self.mode == ARM, dt_s)
        if self.base is not None:
            base = self.base.update(self.mapping.inputs(self.mapping.base, state), deadman and self.mode == BASE)
        return TeleopOutput(jog=jog, base=base)
