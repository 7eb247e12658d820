"""A virtual joystick inside SDL itself (SDL_JoystickAttachVirtual, the SDL that pygame bundles):
SDL announces the device, PygameGamepad opens it, and SDL's joystick code turns axis and button
changes into the events gamepad teleop runs on, as with a pad on USB. (/dev/uinput is not
available to unprivileged tests, so this is the closest to hardware a test can get.)"""

from __future__ import annotations

import ctypes
import time
from pathlib import Path

import pytest

from lerobot_ros.teleop.base_drive import BaseDrive, BaseDriveConfig
from lerobot_ros.teleop.gamepad import BASE, GamepadMapping, GamepadTeleop, PygameGamepad
from lerobot_ros.teleop.jog import JogController, arm_joints

LB = 4


@pytest.fixture
def sdl_pad():
    pad = PygameGamepad()
    libs = sorted((Path(pad.pygame.__file__).parent.parent / "pygame.libs").glob("libSDL2-2*"))
    if not libs:
        pad.close()
        pytest.skip("pygame does not bundle its SDL (a system pygame): no handle on its virtual joysticks")
    sdl = ctypes.CDLL(str(libs[0]))  # already loaded by pygame: the same SDL instance
    sdl.SDL_JoystickFromInstanceID.restype = ctypes.c_void_p
    sdl.SDL_JoystickSetVirtualAxis.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int16]
    sdl.SDL_JoystickSetVirtualButton.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint8]
    device_index = sdl.SDL_JoystickAttachVirtual(0, 6, 11, 1)  # type unknown: 6 axes, 11 buttons, 1 hat
    assert device_index >= 0
    yield pad, sdl, device_index
    if sdl.SDL_JoystickIsVirtual(device_index):  # the test did not unplug it
        sdl.SDL_JoystickDetachVirtual(device_index)
    pad.close()


def test_a_virtual_sdl_joystick_drives_the_base_and_unplugging_stops_it(sdl_pad):
    pad, sdl, device_index = sdl_pad
    names, limits = arm_joints("lekiwi")
    teleop = GamepadTeleop(GamepadMapping.xbox(), JogController(names, limits), BaseDrive(BaseDriveConfig(0.2, 1.0)),
                           BASE)
    assert pad.poll() is None and list(pad.names.values()) == ["Virtual Joystick"]  # announced, opened
    joystick = sdl.SDL_JoystickFromInstanceID(next(iter(pad.names)))
    assert joystick, "PygameGamepad did not open the announced joystick"

    sdl.SDL_JoystickSetVirtualAxis(joystick, 1, -32768)  # left stick fully up
    time.sleep(0.02)
    assert teleop.update(pad.poll(), None, 0.02).base is None  # no deadman
    sdl.SDL_JoystickSetVirtualButton(joystick, LB, 1)
    time.sleep(0.02)
    out = teleop.update(pad.poll(), None, 0.02)
    assert out.base == pytest.approx((0.2, 0.0, 0.0))

    sdl.SDL_JoystickDetachVirtual(device_index)  # unplugged with the deadman held
    time.sleep(0.02)
    assert teleop.update(pad.poll(), None, 0.02).base == (0.0, 0.0, 0.0)
    assert teleop.update(pad.poll(), None, 0.02).base is None
